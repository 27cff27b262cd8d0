"""The list of ``polyx`` subcommands, one module each."""

from __future__ import annotations

from polyx.cli.commands.convert import convert
from polyx.cli.commands.demo import demo
from polyx.cli.commands.export import export
from polyx.cli.commands.inspect import inspect
from polyx.cli.commands.plot import plot
from polyx.cli.commands.predict import predict
from polyx.cli.commands.show import show
from polyx.cli.commands.trace import trace
from polyx.cli.commands.verify import verify

__all__ = ["ALL"]

ALL: list = [inspect, convert, verify, show, predict]
ALL += [export, plot, demo, trace]
