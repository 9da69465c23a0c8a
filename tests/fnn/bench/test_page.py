from fnn.bench import page


def test_gap_section_counts_the_rounds_fnn_held_and_reports_the_second_copy():
    rounds = [{"load": 1.0, "fnn": 0.9, "peer": 1.0, "peer" + page.CONTROL: 1.05},
              {"load": 1.5, "fnn": 1.1, "peer": 1.0, "peer" + page.CONTROL: 0.97}]
    text = page.gap_section("fnn against the peer", rounds, "peer")
    assert "| round | load | fnn ms/epoch | peer ms/epoch | fnn / peer | second copy / peer |" in text
    assert "| 1 | 1.00 | 900.00 | 1000.00 | 0.900 | 1.050 |" in text
    assert "| 2 | 1.50 | 1100.00 | 1000.00 | 1.100 | 0.970 |" in text
    assert "at or below the peer's in 1 of 2 rounds" in text and "ran at 0.970 to 1.050 times the first" in text


def test_gap_section_without_a_second_copy_has_no_control_column():
    text = page.gap_section("t", [{"load": 0.5, "fnn": 1.0, "peer": 1.0}], "peer")
    assert "second copy" not in text and "at or below the peer's in 1 of 1 rounds" in text
