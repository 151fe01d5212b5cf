"""The README's first command keeps working: `make demo` plays its scenario and every step passes."""

import pytest

from local.demo.run import main


@pytest.mark.integration
@pytest.mark.usefixtures("isolated_aws")
def test_the_demo_scenario_passes_every_step(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main([])
    output = capsys.readouterr().out
    assert "FAIL" not in output, output
    assert exit_code == 0
    assert "All steps behaved as expected." in output
