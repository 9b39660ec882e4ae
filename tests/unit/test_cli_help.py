"""`wirestream --help` reads as prose: docstrings wrap to the terminal, not where the source wraps."""

from typer.testing import CliRunner

from pipeline.cli import app


def test_command_descriptions_wrap_to_the_terminal_not_the_source():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "220"})

    assert result.exit_code == 0
    produce = next(line for line in result.output.splitlines() if "│ produce" in line)
    # The docstring breaks after "cannot be"; at 220 columns the whole description is one line.
    assert "Inputs that cannot be parsed go to articles.dlq" in produce
    assert "alerts.<name>" in result.output  # markdown mode keeps code spans, not HTML-looking text
