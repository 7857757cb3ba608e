#!/usr/bin/env python3
"""Extraction du référentiel du Bac Pro AGOrA (arrêté du 18 février 2020).

Lit le texte source (export markdown/HTML de Légifrance) et produit
fixtures/referentiel/AGORA-2020.json, mot pour mot.

Usage :
    python3 scripts/extraire_referentiel.py [chemin_source] [chemin_sortie]

Par défaut : ../shared/seed/000_97fdca0b0722b213.txt (relatif à /work/main)
et fixtures/referentiel/AGORA-2020.json.

Principes :
- toutes les chaînes sont copiées depuis la source (aucune saisie manuelle
  de texte du référentiel, hormis les codes techniques : B1, ECODROIT, U11...) ;
- les marqueurs de liste « - » en tête d'élément sont retirés ;
- les cellules de tableau coupées par un saut de page sont recollées avec
  une espace ;
- les activités, tâches, compétences et indicateurs viennent des annexes
  I a / I b (et non du tableau de synthèse, dont certaines cellules sont
  tronquées) ; les compétences des blocs généraux et facultatifs viennent du
  tableau de synthèse (seul endroit où elles figurent).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

MAIN = Path(__file__).resolve().parents[1]
SEED = MAIN.parent / "shared/seed/000_97fdca0b0722b213.txt"
OUT = MAIN / "fixtures/referentiel/AGORA-2020.json"

TAG = re.compile(r"</?(?:b|p|ul|li)\b[^>]*>")


def clean(s: str) -> str:
    """Retire les balises HTML et normalise les blancs (espaces multiples)."""
    s = TAG.sub(" ", s)
    return re.sub(r"[ \t\n]+", " ", s).strip()


def undash(s: str) -> str:
    return s[2:] if s.startswith("- ") else s


def lis(raw: str) -> list[str]:
    return [undash(clean(x)) for x in re.findall(r"<li>(.*?)</li>", raw, re.S)]


def ps(raw: str) -> list[str]:
    return [clean(x) for x in re.findall(r"<p>(.*?)</p>", raw, re.S)]


class Source:
    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")

    def find(self, pred, start: int = 0) -> int:
        """Indice de la première ligne (>= start) satisfaisant pred (str exacte ou callable)."""
        if isinstance(pred, str):
            target = pred
            pred = lambda ln: ln.strip() == target  # noqa: E731
        for i in range(start, len(self.lines)):
            if pred(self.lines[i]):
                return i
        raise LookupError(f"ancre introuvable après la ligne {start + 1}")

    def nonempty(self, a: int, b: int) -> list[str]:
        return [ln for ln in self.lines[a:b] if ln.strip()]


# --------------------------------------------------------------------------
# Listes : accumulation d'éléments, avec recollage des cellules coupées
# --------------------------------------------------------------------------


def accumulate_items(items: list[str], cell: str, log: list[str], where: str) -> None:
    """Ajoute à items les éléments de liste d'une cellule.

    - <li>- X</li> : nouvel élément ;
    - texte brut commençant par « - » : nouveaux éléments séparés par « - » ;
    - texte brut sans tiret initial : suite de l'élément précédent (cellule
      coupée par un saut de page), puis nouveaux éléments séparés par « - ».
    """
    cell = cell.strip()
    if not cell:
        return
    if "<li>" in cell:
        items.extend(lis(cell))
        return
    text = clean(cell)
    if text.startswith("- "):
        items.extend(undash(p) for p in text[2:].split(" - "))
        log.append(f"{where} : liste « à plat » (séparateur « - ») découpée")
    else:
        parts = text.split(" - ")
        log.append(f"{where} : « {items[-1]} » recollé avec « {parts[0]} »")
        items[-1] = items[-1] + " " + parts[0]
        items.extend(parts[1:])


# --------------------------------------------------------------------------
# Indications complémentaires : paragraphes et listes
# --------------------------------------------------------------------------


def indication_blocks(cells: list[str], log: list[str], where: str) -> list[tuple[str, str]]:
    """Transforme les cellules (raw) d'une colonne « Indications » en blocs
    ('p', texte) / ('li', texte). Une cellule de continuation (2e ligne de
    tableau) prolonge le dernier paragraphe si celui-ci ne se termine pas par
    un point."""
    blocks: list[tuple[str, str]] = []
    for n, raw in enumerate(cells):
        raw = raw.strip()
        if not raw:
            continue
        toks: list[tuple[str, str]] = []
        pos = 0
        for m in re.finditer(r"<p>(.*?)</p>|<ul[^>]*>(.*?)</ul>", raw, re.S):
            before = raw[pos : m.start()].strip()
            if before:
                toks.append(("p", clean(before)))
            if m.group(1) is not None:
                toks.append(("p", clean(m.group(1))))
            else:
                toks.extend(("li", x) for x in lis(m.group(2)))
            pos = m.end()
        after = raw[pos:].strip()
        if after:
            toks.append(("p", clean(after)))
        # listes « à plat » dans du texte brut (« : - a ; - b ; - c. Suite »)
        flat: list[tuple[str, str]] = []
        for kind, t in toks:
            if kind == "p" and " - " in t:
                head, *items = t.split(" - ")
                last = items[-1]
                cut = last.find(". ")
                tail = None
                if cut != -1:
                    items[-1], tail = last[: cut + 1], last[cut + 2 :]
                flat.append(("p", head))
                flat.extend(("li", x) for x in items)
                if tail:
                    flat.append(("p", tail))
                log.append(f"{where} : liste « à plat » des indications découpée en {len(items)} éléments")
            else:
                flat.append((kind, t))
        toks = flat
        if n > 0 and blocks and toks:
            kind0, t0 = toks[0]
            last_kind, last_t = blocks[-1]
            if kind0 == "p" and last_kind == "p" and not last_t.endswith("."):
                blocks[-1] = ("p", last_t + " " + t0)
                log.append(f"{where} : paragraphe coupé « …{last_t[-25:]} » + « {t0[:25]}… » recollé")
                toks = toks[1:]
        blocks.extend(toks)
    return blocks


def render_blocks(blocks: list[tuple[str, str]]) -> str:
    out = ""
    for kind, t in blocks:
        if kind == "p":
            out += ("\n\n" if out else "") + t
        else:
            out += ("\n" if out else "") + "- " + t
    return out


# --------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------

ACT_RE = re.compile(r"<p>(?:<b>)?(\d\.\d)\. (.*?)(?:</b>)?</p>\s*<ul[^>]*>(.*?)</ul>", re.S)


def extract(text: str):
    S = Source(text)
    L = S.lines
    log: list[str] = []

    # ---------------- Annexe I a : pôles ----------------
    def titre_pole(line: str, n: int) -> str:
        t = clean(line).lstrip("#").strip()
        prefix = f"Pôle {n} - "
        assert t.startswith(prefix), t
        return t[len(prefix) :]

    poles = []

    # Pôle 1 (format markdown)
    i = S.find(lambda ln: ln.startswith("### Pôle 1 - "))
    j = S.find("### ACTIVITÉS CARACTÉRISTIQUES DU PÔLE 1", i)
    k = S.find("## CONDITIONS D'EXERCICE", j)
    r = S.find("## RÉSULTATS ATTENDUS", k)
    e = S.find(lambda ln: ln.startswith("Pôle 2 - "), r)
    acts = []
    for ln in L[j + 1 : k]:
        m = re.match(r"#### (\d\.\d)\. (.*)$", ln)
        if m:
            acts.append({"code": m.group(1), "intitule": m.group(2).strip(), "taches": []})
        elif ln.startswith("- "):
            acts[-1]["taches"].append(undash(ln.strip()))
    res = []
    for ln in S.nonempty(r + 1, e):
        if ln.startswith("- "):
            res.append(undash(ln.strip()))
        else:
            res[-1] += " " + ln.strip()
    poles.append(
        {
            "numero": 1,
            "intitule": titre_pole(L[i], 1),
            "description": "\n\n".join(ln.strip() for ln in S.nonempty(i + 1, j)),
            "resultats_attendus": res,
            "activites": acts,
        }
    )

    # Pôle 2 (format HTML)
    i = e
    j = S.find("ACTIVITÉS CARACTÉRISTIQUES DU PÔLE 2", i)
    r = S.find("<b>RÉSULTATS ATTENDUS</b>", j)
    acts = [{"code": c, "intitule": clean(t), "taches": lis(u)} for c, t, u in ACT_RE.findall(L[j + 1])]
    poles.append(
        {
            "numero": 2,
            "intitule": titre_pole(L[i], 2),
            "description": "\n\n".join(ps(L[i + 1])),
            "resultats_attendus": lis(L[r + 1]),
            "activites": acts,
        }
    )

    # Pôle 3 (HTML puis markdown après le saut de page)
    i = S.find(lambda ln: clean(ln).startswith("Pôle 3 - "), r)
    j = S.find("<b>ACTIVITÉS CARACTÉRISTIQUES DU PÔLE 3</b>", i)
    k = S.find("## CONDITIONS D'EXERCICE", j)
    r = S.find("### RÉSULTATS ATTENDUS", k)
    e = S.find("## • Article", r)
    acts = [{"code": c, "intitule": clean(t), "taches": lis(u)} for c, t, u in ACT_RE.findall(L[j + 1])]
    for ln in S.nonempty(j + 2, k):
        assert ln.startswith("- "), ln
        acts[-1]["taches"].append(undash(ln.strip()))
        log.append(
            f"Pôle 3, activité {acts[-1]['code']} : tâche « {undash(ln.strip())} » reprise après le saut de page"
        )
    res = []
    for ln in S.nonempty(r + 1, e):
        if ln.startswith("- "):
            res.append(undash(ln.strip()))
        else:
            log.append(f"Pôle 3, résultats attendus : « …{res[-1][-20:]} » recollé avec « {ln.strip()} »")
            res[-1] += " " + ln.strip()
    poles.append(
        {
            "numero": 3,
            "intitule": titre_pole(L[i], 3),
            "description": "\n\n".join(ps(L[i + 1])),
            "resultats_attendus": res,
            "activites": acts,
        }
    )

    # ---------------- Annexe I b : blocs professionnels ----------------
    ib = S.find("### ANNEXE I b - Référentiel de compétences")
    taches_ia = {a["code"]: a["taches"] for p in poles for a in p["activites"]}
    intitules_ia = {a["code"]: a["intitule"] for p in poles for a in p["activites"]}
    ib_act = {}
    for p in poles:
        for a in p["activites"]:
            code = a["code"]
            h = S.find(lambda ln, c=code: ln.startswith(c + ". ") and ln.endswith("\t\t"), ib)
            titre = L[h].strip()[len(code) + 2 :]
            if titre != intitules_ia[code]:
                log.append(f"Activité {code} : intitulé I b « {titre} » ≠ I a « {intitules_ia[code]} »")
            cells = L[h + 1].split("\t")
            assert len(cells) == 3, code
            taches, comps, inds = [], [], []
            accumulate_items(taches, cells[0], log, f"I b {code} tâches")
            accumulate_items(comps, cells[1], log, f"I b {code} compétences")
            accumulate_items(inds, cells[2], log, f"I b {code} indicateurs")
            # ligne de continuation (cellule coupée par un saut de page)
            n = h + 2
            while n < len(L) and not L[n].strip():
                n += 1
            if L[n].startswith("\t"):
                c2 = L[n].split("\t")
                accumulate_items(taches, c2[0], log, f"I b {code} tâches (suite)")
                accumulate_items(comps, c2[1], log, f"I b {code} compétences (suite)")
                accumulate_items(inds, c2[2], log, f"I b {code} indicateurs (suite)")
            if taches != taches_ia[code]:
                for x, y in zip(taches_ia[code], taches, strict=True):
                    if x != y:
                        log.append(f"Activité {code} : tâche I a « {x} » ≠ I b « {y} » (I a retenue)")
                assert len(taches) == len(taches_ia[code]), code
            ib_act[code] = (comps, inds)

    for p in poles:
        for a in p["activites"]:
            comps, inds = ib_act[a["code"]]
            a["conditions_exercice"] = ""
            a["resultats_attendus"] = []
            a["competences"] = comps
            a["indicateurs"] = inds
        # ordre des clés conforme au schéma
        p["activites"] = [
            {
                k: a[k]
                for k in (
                    "code",
                    "intitule",
                    "taches",
                    "conditions_exercice",
                    "resultats_attendus",
                    "competences",
                    "indicateurs",
                )
            }
            for a in p["activites"]
        ]

    # Conditions d'exercice + savoirs par bloc
    heads = [
        S.find(lambda ln: ln.strip() == "#### Conditions d'exercice et de mobilisation des compétences", ib),
        S.find(lambda ln: ln.startswith("## Bloc de compétences 2 - "), ib),
        S.find(lambda ln: ln.startswith("### Bloc de compétences 3 - "), ib),
    ]
    fin_ib = S.find("## • Article", heads[2])
    pro_blocs = []
    for b, h in enumerate(heads, start=1):
        nxt = heads[b] if b < 3 else fin_ib
        if b == 1:
            t = S.find(lambda ln: ln.startswith("Activités\tCompétences"), h)
            cond = [ln.strip() for ln in S.nonempty(h + 1, t)]
            titre_line = L[S.find(lambda ln: ln.startswith("Bloc de compétences 1 - "), h - 3)]
        else:
            c = S.find(lambda ln: ln.startswith("<p>Conditions d'exercice et de mobilisation des compétences</p>"), h)
            cond = ps(L[c])[1:]
            titre_line = L[h]
        titre = clean(titre_line).lstrip("#").strip()
        titre = titre.split(" - ", 1)[1]
        # savoirs
        s0 = S.find(lambda ln: ln.startswith("Savoirs associés\tIndications complémentaires"), h)
        savoirs = []
        fam, left, right = None, [], []

        def flush(fam, left, right, b=b, savoirs=savoirs):
            if fam is None:
                return
            items: list[str] = []
            for c_ in left:
                accumulate_items(items, c_, log, f"Bloc {b} savoirs « {fam} »")
            ind = render_blocks(indication_blocks(right, log, f"Bloc {b} indications « {fam} »"))
            for n_, it in enumerate(items):
                savoirs.append({"famille": fam, "intitule": it, "indications": ind if n_ == 0 else ""})

        for ln in L[s0:nxt]:
            if not ln.strip() or re.fullmatch(r"-+\t-+", ln.strip()) or ln.startswith("Savoirs associés\t"):
                continue
            m = re.fullmatch(r"(Savoirs [^\t<]+)\t", ln)
            if m:
                flush(fam, left, right)
                fam, left, right = m.group(1), [], []
                continue
            cells = ln.split("\t")
            assert len(cells) == 2, ln[:80]
            left.append(cells[0])
            right.append(cells[1])
        flush(fam, left, right)
        pro_blocs.append(
            {
                "code": f"B{b}",
                "intitule": titre,
                "type": "professionnel",
                "activites": [a["code"] for a in poles[b - 1]["activites"]],
                "conditions_exercice": "\n\n".join(cond),
                "competences": [],
                "niveau": "",
                "savoirs": savoirs,
                "unites": [{1: "U31", 2: "U2", 3: "U32"}[b]],
            }
        )

    # ---------------- Tableau de synthèse : blocs généraux et facultatifs ----------------
    codes = {
        "Bloc d'Economie-droit": ("ECODROIT", "general", ["U11"]),
        "Bloc de Mathématiques": ("MATHS", "general", ["U12"]),
        "Bloc de Prévention-santé-environnement": ("PSE", "general", ["U33"]),
        "Bloc de Langues vivantes 1": ("LV1", "general", ["U41"]),
        "Bloc de Langues vivantes 2": ("LV2", "general", ["U42"]),
        "Bloc de Français": ("FRANCAIS", "general", ["U51"]),
        "Bloc d'Histoire-géographie - enseignement moral et civique": ("HGEMC", "general", ["U52"]),
        "Bloc d'Arts appliqués et cultures artistiques": ("ARTS", "general", ["U6"]),
        "Bloc d'Education physique et sportive": ("EPS", "general", ["U7"]),
        "Bloc facultatif de Langues vivantes": ("FAC-LV", "facultatif", ["UF1", "UF2"]),
        "Bloc facultatif de mobilité": ("FAC-MOBILITE", "facultatif", ["UF1", "UF2"]),
        "Bloc facultatif d'Education physique et sportive": ("FAC-EPS", "facultatif", ["UF1", "UF2"]),
    }
    t0 = S.find(lambda ln: ln.startswith("ACTIVITÉS\tBLOCS DE COMPÉTENCES\tUNITÉS"))
    t1 = S.find("## • Article", t0)
    gen_blocs = []
    current = None
    for ln in L[t0 + 1 : t1]:
        if not ln.strip():
            continue
        cells = ln.split("\t")
        cell = cells[1] if len(cells) > 1 else ""
        paras = ps(cell)
        if paras and paras[0].startswith("Bloc "):
            if paras[0] not in codes:  # « Bloc facultatif » (chapeau) ou bloc professionnel
                current = None
                if paras[0] == "Bloc facultatif":
                    log.append(f"Synthèse : ligne chapeau « Bloc facultatif » / « {paras[1]} » non reprise comme bloc")
                continue
            code, typ, unites = codes[paras[0]]
            niveau = paras[1] if len(paras) > 1 else ""
            current = {
                "code": code,
                "intitule": paras[0],
                "type": typ,
                "activites": [],
                "conditions_exercice": "",
                "competences": lis(cell),
                "niveau": niveau,
                "savoirs": [],
                "unites": unites,
            }
            gen_blocs.append(current)
        elif clean(cell).startswith("Bloc de compétences"):
            current = None
        elif current is not None and cell.strip():
            # suite d'une cellule coupée : le 1er fragment prolonge le dernier
            # élément (compétence, sinon niveau), les <li> suivants sont de
            # nouvelles compétences
            frag = paras[0]
            if current["competences"]:
                dernier = current["competences"][-1]
                log.append(f"Synthèse {current['code']} : compétence « {dernier} » recollée avec « {frag} »")
                current["competences"][-1] += " " + frag
            else:
                log.append(f"Synthèse {current['code']} : niveau « {current['niveau']} » recollé avec « {frag} »")
                current["niveau"] += " " + frag
            current["competences"].extend(lis(cell))

    # ---------------- Annexe II a : unités ----------------
    ordre = ["U11", "U12", "U2", "U31", "U32", "U33", "U41", "U42", "U51", "U52", "U6", "U7", "UF1", "UF2"]
    titres = {}
    for ln in L:
        m = re.match(r"#+ UNITÉ (U\d+) - (.*)$", ln)
        if m:
            t = re.sub(r"\s*(\(\\\*\)|\\\*)$", "", m.group(2).strip())
            if t != m.group(2).strip():
                log.append(
                    f"Unité {m.group(1)} : renvoi « {m.group(2).strip()[len(t) :].strip()} » retiré de l'intitulé"
                )
            titres[m.group(1)] = t
    uf = S.find(lambda ln: ln.startswith("UF1 et UF2\t"))
    titres["UF1"] = titres["UF2"] = L[uf].split("\t")[1].strip()
    unites = [{"code": u, "intitule": titres[u], "epreuve": "E" + u[1:]} for u in ordre]

    # ---------------- Intitulé et session ----------------
    intitule = clean(L[S.find(lambda ln: ln.startswith("Baccalauréat professionnel spécialité « Assistance"))])
    m = re.search(r"La première session d'examen .*? aura lieu en (\d{4})\.", text)
    data = {
        "code": "AGORA-2020",
        "intitule": intitule,
        "arrete": "2020-02-18",
        "premiere_session": int(m.group(1)),
        "poles": poles,
        "blocs": pro_blocs + gen_blocs,
        "unites": unites,
    }
    return data, log


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else SEED
    out = Path(argv[2]) if len(argv) > 2 else OUT
    data, log = extract(src.read_text(encoding="utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    acts = [a for p in data["poles"] for a in p["activites"]]
    print(
        f"pôles={len(data['poles'])} activités={len(acts)} "
        f"tâches={sum(len(a['taches']) for a in acts)} "
        f"compétences={sum(len(a['competences']) for a in acts)} "
        f"indicateurs={sum(len(a['indicateurs']) for a in acts)}"
    )
    for b in data["blocs"]:
        print(
            f"  {b['code']:<13} compétences={len(b['competences'])} savoirs={len(b['savoirs'])} niveau={b['niveau']!r}"
        )
    print("Journal :")
    for entry in log:
        print("  -", entry)
    print(f"écrit : {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
