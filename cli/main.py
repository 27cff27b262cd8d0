"""The ``polyx`` command group and its single error boundary.

Every PolyxError raised below a command becomes one red line on stderr and exit code 2; a
traceback is shown only with ``--debug`` (accepted anywhere on the command line). SIGINT and
SIGTERM end a command with one line and exit 130 or 143, after every temporary file is removed.
Usage errors (an unknown option, a missing argument, a value an option's type refuses) get the
same one line, with the ``--help`` hint inside it, instead of click's three-line Usage/Try/Error block.
"""

from __future__ import annotations

import sys
import traceback

import click

from polyx import __version__
from polyx.cli.app import App
from polyx.cli.flags import for_cli
from polyx.errors import PolyxError

__all__ = ["cli", "main", "usage_line"]

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class PolyxGroup(click.Group):
    """A click group that turns library errors into one stderr line and an exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PolyxError as error:
            self._fail(ctx, for_cli(str(error), self._subcommand(ctx)), EXIT_BAD_INPUT)
        except KeyboardInterrupt as error:
            name, code = getattr(error, "name", "SIGINT"), getattr(error, "exit_code", EXIT_INTERRUPTED)
            self._fail(ctx, f"interrupted by {name}; no file was left half-written", code)
        except click.ClickException as error:
            command = " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
            self._fail(ctx, usage_line(error, command), error.exit_code)
        except MemoryError:
            self._fail(ctx, "out of memory; lower --order or the data size and try again", EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:  # noqa: BLE001 - the boundary: anything else is a polyx bug
            self._fail(ctx, f"internal error ({type(error).__name__}: {error}); rerun with --debug and report it", EXIT_INTERNAL)
        return None

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: object) -> click.Context:
        """The group's own options parsed; a usage error there (``polyx --bogus``) is the same one line.
        ``polyx`` alone still prints the help."""
        try:
            return super().make_context(info_name, args, parent, **extra)  # type: ignore[arg-type]
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.ClickException as error:
            App().terminal.error(usage_line(error))
            raise click.exceptions.Exit(error.exit_code) from None

    def _subcommand(self, ctx: click.Context) -> click.Command | None:
        """The command that ran (its flags name the parameters in a library message)."""
        return self.get_command(ctx, ctx.invoked_subcommand) if ctx.invoked_subcommand else None

    @staticmethod
    def _fail(ctx: click.Context, message: str, code: int) -> None:
        app = ctx.find_object(App) or App()
        if app.debug:
            traceback.print_exc(file=sys.stderr)
        app.terminal.error(message)
        ctx.exit(code)


def usage_line(error: click.ClickException, command: str = "polyx") -> str:
    """click's message on one line, ending with where to read the usage: ``... (see 'polyx convert --help')``.

    ``command`` is the path to name when click's error carries no context (an option missing its value)."""
    message = " ".join(error.format_message().split()).rstrip(".")
    if isinstance(error, click.UsageError):
        context = getattr(error, "ctx", None)
        message += f" (see '{context.command_path if context is not None else command} --help')"
    return message


@click.group(cls=PolyxGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.version_option(__version__, prog_name="polyx")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """polyx: turn a trained feed-forward network (ONNX) into an explicit polynomial."""
    ctx.obj = App(debug=debug)


def _register_commands() -> None:
    from polyx.cli import commands

    for command in commands.ALL:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point; ``--debug`` may appear anywhere before ``--``."""
    from polyx.interrupts import install

    install()
    args = list(sys.argv[1:] if argv is None else argv)
    cut = args.index("--") if "--" in args else len(args)
    if "--debug" in args[:cut]:
        args.remove("--debug")
        args.insert(0, "--debug")
    cli.main(args=args, prog_name="polyx")


_register_commands()
