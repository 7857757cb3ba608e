from agora.format import pluriel


def test_le_pluriel_s_accorde_sans_parentheses():
    assert pluriel(0, "note") == "0 note"
    assert pluriel(1, "note créée") == "1 note créée"
    assert pluriel(3, "note créée") == "3 notes créées"
    assert pluriel(2, "prix") == "2 prix"
    assert pluriel(2, "cheval", "chevaux") == "2 chevaux"
