"""Les dépendances vont dans un seul sens (docs/architecture.md) ; ce test lit les imports et échoue sur tout écart.

- la couche du bas (`agora`, outils partagés) n'importe aucune application métier ;
- `referentiel` n'importe ni `examens` ni `pfmp` ; `examens` n'importe pas `pfmp` ;
- les règles pures (`examens/regles.py`, `examens/echeances/regle.py`, `pfmp/regles_pfmp.py`) n'importent pas Django.

Les écarts connus, à déplacer lors du rangement des modules (issue « One house, rooms you can find »), sont listés
ici un par un : la liste ne peut que raccourcir, et tout nouvel écart fait échouer le test.
"""

import ast
from pathlib import Path

RACINE = Path(__file__).resolve().parents[2]
METIER = ("referentiel", "examens", "pfmp")

# Les commandes de démonstration écrivent dans toutes les applications : elles quitteront `agora` pour un paquet de
# démonstration, en haut de la pile.
ECARTS_CONNUS_DU_BAS = {
    "agora/management/commands/charger_demo.py",
    "agora/management/commands/generer_donnees.py",
}


def _imports(fichier: Path) -> set[str]:
    modules = set()
    for noeud in ast.walk(ast.parse(fichier.read_text(encoding="utf-8"))):
        if isinstance(noeud, ast.ImportFrom) and noeud.module and noeud.level == 0:
            modules.add(noeud.module)
        elif isinstance(noeud, ast.Import):
            modules |= {a.name for a in noeud.names}
    return modules


def _fichiers(dossier: str):
    for fichier in sorted((RACINE / dossier).rglob("*.py")):
        if "migrations" not in fichier.parts:
            yield fichier


def _vers(modules: set[str], paquets) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in paquets)


def test_la_couche_du_bas_n_importe_aucune_application_metier():
    fautifs = {}
    for fichier in _fichiers("agora"):
        chemin = str(fichier.relative_to(RACINE))
        if (cibles := _vers(_imports(fichier), METIER)) and chemin not in ECARTS_CONNUS_DU_BAS:
            fautifs[chemin] = cibles
    assert fautifs == {}


def test_les_ecarts_connus_existent_encore():
    """Un écart réglé sort de la liste : sinon elle cacherait un nouvel écart au même endroit."""
    encore = {c for c in ECARTS_CONNUS_DU_BAS if _vers(_imports(RACINE / c), METIER)}
    assert encore == ECARTS_CONNUS_DU_BAS


def test_referentiel_n_importe_ni_examens_ni_pfmp():
    fautifs = {str(f.relative_to(RACINE)): c for f in _fichiers("referentiel") if (c := _vers(_imports(f), METIER[1:]))}
    assert fautifs == {}


def test_examens_n_importe_pas_pfmp():
    fautifs = {str(f.relative_to(RACINE)): c for f in _fichiers("examens") if (c := _vers(_imports(f), ("pfmp",)))}
    assert fautifs == {}


def test_les_regles_pures_n_importent_pas_django():
    for chemin in ("examens/regles.py", "examens/echeances/regle.py", "pfmp/regles_pfmp.py"):
        modules = _imports(RACINE / chemin)
        assert not [m for m in modules if m.split(".")[0] == "django"], chemin
        # regles_pfmp peut lire les règles pures d'examens (sens permis), rien d'autre du projet.
        assert _vers(modules, METIER + ("agora",)) in ([], ["examens.regles"]), chemin
