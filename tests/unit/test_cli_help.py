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


def test_a_bad_setting_is_one_line_naming_its_variable(monkeypatch):
    from typer.testing import CliRunner

    from pipeline.cli import app

    monkeypatch.setenv("WIRESTREAM_DEDUP__WINDOW_DAYS", "-1")
    result = CliRunner().invoke(app, ["topics", "create"])
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith("error: invalid setting dedup.window_days") and "WIRESTREAM_DEDUP__WINDOW_DAYS" in line
