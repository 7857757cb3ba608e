"""La règle pure des échéances de saisie (examens/echeances/regle.py) : sans base, cas par cas."""

import ast
import datetime
from pathlib import Path

from examens.echeances import regle
from examens.echeances.regle import CLOSE, OUVERTE, PROPOSITION, Echeance, Portee, Reouverture, etat_saisie

PARIS = datetime.timezone(datetime.timedelta(hours=2))
FERMETURE = datetime.datetime(2026, 5, 12, 18, 0, tzinfo=PARIS)
AVANT = FERMETURE - datetime.timedelta(minutes=1)
APRES = FERMETURE + datetime.timedelta(days=1)
LYCEE, AUTRE_LYCEE = 1, 2
PROF, AUTRE_PROF = 10, 11
CANDIDAT, AUTRE_CANDIDAT = 100, 101


def etat(echeances, reouvertures=(), *, unite="U31", nature="ccf", etab=LYCEE, candidat=CANDIDAT, qui=PROF, quand):
    return etat_saisie(
        unite=unite,
        nature=nature,
        etablissement_id=etab,
        candidat_id=candidat,
        utilisateur_id=qui,
        instant=quand,
        echeances=echeances,
        reouvertures=reouvertures,
    )


U31 = Echeance(1, Portee(unite="U31"), FERMETURE)


def test_sans_echeance_la_saisie_est_ouverte():
    assert etat([], quand=APRES).etat == OUVERTE


def test_avant_l_echeance_ouverte_a_l_echeance_et_apres_close():
    assert etat([U31], quand=AVANT).etat == OUVERTE
    assert etat([U31], quand=AVANT).echeance == U31  # « ferme le … » à afficher
    assert etat([U31], quand=FERMETURE).etat == CLOSE
    assert etat([U31], quand=APRES).etat == CLOSE


def test_une_echeance_ne_vise_que_sa_portee():
    assert etat([U31], unite="U32", quand=APRES).etat == OUVERTE
    ccf = Echeance(2, Portee(nature="ccf"), FERMETURE)
    assert etat([ccf], nature="ponctuel", quand=APRES).etat == OUVERTE
    assert etat([ccf], nature="ccf", quand=APRES).etat == CLOSE
    lycee = Echeance(3, Portee(etablissement_id=LYCEE), FERMETURE)
    assert etat([lycee], etab=AUTRE_LYCEE, quand=APRES).etat == OUVERTE
    assert etat([lycee], etab=LYCEE, unite="U2", nature="ponctuel", quand=APRES).etat == CLOSE


def test_l_echeance_la_plus_precise_l_emporte():
    plus_tard = FERMETURE + datetime.timedelta(days=7)
    toutes = Echeance(1, Portee(), FERMETURE)
    ccf = Echeance(2, Portee(nature="ccf"), plus_tard)
    # La nature l'emporte sur « toutes les unités » : U31 en CCF reste ouverte une semaine de plus…
    assert etat([toutes, ccf], quand=APRES).etat == OUVERTE
    # … l'unité l'emporte sur la nature, même plus tôt…
    u31 = Echeance(3, Portee(unite="U31"), FERMETURE)
    assert etat([toutes, ccf, u31], quand=APRES).etat == CLOSE
    # … et l'établissement + unité l'emporte sur tout : ce lycée a une semaine de plus pour U31.
    lycee_u31 = Echeance(4, Portee(unite="U31", etablissement_id=LYCEE), plus_tard)
    assert etat([toutes, ccf, u31, lycee_u31], quand=APRES).echeance == lycee_u31
    assert etat([toutes, ccf, u31, lycee_u31], quand=APRES).etat == OUVERTE
    assert etat([toutes, ccf, u31, lycee_u31], etab=AUTRE_LYCEE, quand=APRES).echeance == u31


def test_une_reouverture_ne_vaut_que_pour_les_personnes_nommees_et_jusqu_a_sa_fin():
    fin = APRES + datetime.timedelta(hours=2)
    r = Reouverture(1, Portee(unite="U31", etablissement_id=LYCEE), frozenset({PROF}), fin)
    d = etat([U31], [r], quand=APRES)
    assert d.etat == OUVERTE and d.reouverture == r
    assert etat([U31], [r], qui=AUTRE_PROF, quand=APRES).etat == CLOSE
    assert etat([U31], [r], etab=AUTRE_LYCEE, quand=APRES).etat == CLOSE
    assert etat([U31], [r], unite="U32", quand=APRES).etat == OUVERTE  # U32 n'a pas d'échéance
    assert etat([U31], [r], quand=fin - datetime.timedelta(seconds=1)).etat == OUVERTE
    assert etat([U31], [r], quand=fin).etat == CLOSE  # la fin est exclue


def test_une_reouverture_peut_viser_un_seul_candidat():
    r = Reouverture(1, Portee(unite="U31", candidat_id=CANDIDAT), frozenset({PROF}), APRES + datetime.timedelta(1))
    assert etat([U31], [r], quand=APRES).etat == OUVERTE
    assert etat([U31], [r], candidat=AUTRE_CANDIDAT, quand=APRES).etat == CLOSE


def test_proposition_seulement():
    fin = APRES + datetime.timedelta(hours=2)
    proposition = Reouverture(1, Portee(unite="U31"), frozenset({PROF}), fin, proposition_seulement=True)
    d = etat([U31], [proposition], quand=APRES)
    assert d.etat == PROPOSITION and d.reouverture == proposition
    assert etat([U31], [proposition], quand=fin).etat == CLOSE
    # Une réouverture pleine l'emporte sur une proposition.
    pleine = Reouverture(2, Portee(), frozenset({PROF}), fin)
    assert etat([U31], [proposition, pleine], quand=APRES).etat == OUVERTE


def test_nature_du_mode():
    assert regle.nature_du_mode("ccf") == "ccf"
    assert regle.nature_du_mode("ponctuel_oral") == "ponctuel"
    assert regle.nature_du_mode("") == ""


def test_la_regle_n_importe_pas_django():
    arbre = ast.parse(Path(regle.__file__).read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(arbre) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(arbre) if isinstance(n, ast.Import) for a in n.names
    }
    assert not [m for m in modules if m and m.split(".")[0] in ("django", "examens", "agora")]
