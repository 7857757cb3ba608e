"""Les dépendances vont dans un seul sens (docs/architecture.md) ; ce test lit les imports et échoue sur tout écart.

- la couche du bas (`agora`, outils partagés) n'importe aucune application métier ni la démonstration ;
- `referentiel` n'importe ni `examens` ni `pfmp` ; `examens` n'importe pas `pfmp` ;
- aucune application métier n'importe `demo` (la démonstration est en haut : elle écrit dans tout, rien ne la lit) ;
- les règles pures (`examens/regles.py`, `examens/echeances/regle.py`, `pfmp/regles_pfmp.py`) n'importent pas Django,
  ni rien du projet hors des règles pures d'examens et de la mise en forme française (`agora.format`, pur Python).
"""

import ast
from pathlib import Path

RACINE = Path(__file__).resolve().parents[2]
METIER = ("referentiel", "examens", "pfmp")


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
    fautifs = {
        str(f.relative_to(RACINE)): c for f in _fichiers("agora") if (c := _vers(_imports(f), METIER + ("demo",)))
    }
    assert fautifs == {}


def test_aucune_application_metier_n_importe_la_demonstration():
    fautifs = {
        str(f.relative_to(RACINE)): c
        for dossier in METIER
        for f in _fichiers(dossier)
        if (c := _vers(_imports(f), ("demo",)))
    }
    assert fautifs == {}


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
        # regles_pfmp peut lire les règles pures d'examens (sens permis) et la mise en forme pure, rien d'autre.
        assert set(_vers(modules, METIER + ("agora",))) <= {"examens.regles", "agora.format"}, chemin


def test_la_mise_en_forme_est_du_python_pur():
    """`agora.format` est lu par les règles pures : il n'importe ni Django ni rien du projet."""
    modules = _imports(RACINE / "agora" / "format.py")
    assert not [m for m in modules if m.split(".")[0] in ("django", *METIER, "demo")]
