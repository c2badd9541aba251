"""Label counts per model and their table."""

from __future__ import annotations

from processors.feedback.status import ModelLabels, counts_query, render_table


def test_rows_and_table():
    rows = [
        {"model": "fraud-detector", "labels": "12", "unmatched": "2", "oldest_unmatched_unix_nano": "17"},
        {"model": "churn", "labels": 3, "unmatched": 0, "oldest_unmatched_unix_nano": None},
    ]
    counts = [ModelLabels.from_row(row) for row in rows]
    assert counts[0] == ModelLabels("fraud-detector", 12, 2, 17)
    assert counts[0].matched == 10
    assert counts[1].to_json() == {
        "model": "churn",
        "labels": 3,
        "matched": 3,
        "unmatched": 0,
        "oldest_unmatched_unix_nano": None,
    }
    assert render_table(counts, "7d") == (
        "MODEL           LABELS  MATCHED  UNMATCHED\n"
        "fraud-detector  12      10       2\n"
        "churn           3       3        0\n"
        "unmatched labels are kept 7d after receipt (feedback.unmatched_retention)\n"
    )
    assert render_table([], "7d") == "no labels yet\n"


def test_query_filters_by_model_only_when_asked():
    sql, parameters = counts_query(None)
    assert "{model:String}" not in sql and parameters == {}
    sql, parameters = counts_query("fraud")
    assert sql.count("ModelName = {model:String}") == 2 and parameters == {"model": "fraud"}
