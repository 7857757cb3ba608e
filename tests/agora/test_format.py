from agora.format import pluriel


def test_le_pluriel_s_accorde_sans_parentheses():
    assert pluriel(0, "note") == "0 note"
    assert pluriel(1, "note créée") == "1 note créée"
    assert pluriel(3, "note créée") == "3 notes créées"
    assert pluriel(2, "prix") == "2 prix"
    assert pluriel(2, "cheval", "chevaux") == "2 chevaux"


def test_les_capitales_des_intitules_de_l_arrete_sont_accentuees():
    from agora.format import capitales_accentuees

    assert capitales_accentuees("Economie-droit") == "Économie-droit"
    assert capitales_accentuees("Epreuve d'éducation physique") == "Épreuve d'éducation physique"
    assert capitales_accentuees("Etude de situations") == "Étude de situations"
    assert capitales_accentuees("Mathématiques") == "Mathématiques"
