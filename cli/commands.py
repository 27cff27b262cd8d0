"""The list of ``polyx`` subcommands, one module each."""

from __future__ import annotations

from polyx.cli.convert import convert
from polyx.cli.demo import demo
from polyx.cli.export import export
from polyx.cli.inspect import inspect
from polyx.cli.plot import plot
from polyx.cli.predict import predict
from polyx.cli.show import show
from polyx.cli.trace import trace
from polyx.cli.verify import verify

__all__ = ["ALL"]

ALL: list = [inspect, convert, verify, show, predict]
ALL += [export, plot, demo, trace]
