"""The gold-set eval with the real default model: CI fails when a score
falls under eval/thresholds.toml. Writes eval/reports/default/."""

import pytest

from eval import harness
from rag.settings import Settings


@pytest.mark.eval
def test_gold_set_meets_thresholds():
    report = harness.evaluate(Settings(model="default"), baseline=True)
    print("\n" + harness.markdown(report).split("## Failed")[0])
    bad = harness.check(report, harness.thresholds())
    assert not bad, "scores under eval/thresholds.toml: " + "; ".join(bad)
