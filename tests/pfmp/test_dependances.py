"""Les dépendances vont dans un seul sens : referentiel ← examens ← pfmp (pfmp pousse, examens ignore pfmp)."""

import ast
from pathlib import Path

RACINE = Path(__file__).resolve().parents[2]


def _imports(dossier: Path) -> set[tuple[str, str]]:
    trouves = set()
    for fichier in dossier.rglob("*.py"):
        for noeud in ast.walk(ast.parse(fichier.read_text())):
            if isinstance(noeud, ast.ImportFrom) and noeud.module:
                trouves.add((str(fichier.relative_to(RACINE)), noeud.module))
            elif isinstance(noeud, ast.Import):
                trouves |= {(str(fichier.relative_to(RACINE)), a.name) for a in noeud.names}
    return trouves


def test_examens_n_importe_jamais_pfmp():
    fautifs = [(f, m) for f, m in _imports(RACINE / "examens") if m == "pfmp" or m.startswith("pfmp.")]
    assert fautifs == []
