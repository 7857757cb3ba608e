"""Les lignes des tableaux du bureau des examens (liste des candidats, saisie des notes, délibération), en Python.

Ce sont les boucles chaudes de ces pages : une cinquantaine de lignes d'une dizaine de valeurs chacune. Rendues par
le moteur de gabarits (une résolution de variable, un filtre et un échappement par valeur, un `{% url %}` par
ligne), elles coûtaient près de la moitié du temps processeur de la page (bench/profiler_pages.py). Ici,
`agora.lignes.ligne` remplit un modèle de ligne en échappant chaque valeur, et l'adresse de chaque ligne vient d'un
modèle résolu une fois. Le HTML produit est celui qu'écrivaient les gabarits, octet pour octet.
"""

import functools

from django import template
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from agora.lignes import echapper, elements_de_liste, ligne, modele_adresse
from examens.selectors import resultat_joint
from examens.templatetags.agora_format import capitales, couleur_decision, decision, exact, mention, virgule

register = template.Library()


def _division(candidat) -> str:
    """Le nom de la division du candidat, « — » s'il n'en a pas (le filtre default:"—" des gabarits)."""
    return (candidat.division.nom if candidat.division_id else "") or "—"


# Chaque ligne entre les mêmes blancs que dans la boucle {% for %} qu'elle remplace.
LIGNE_CANDIDAT = (
    '\n    <tr><td><a href="{adresse}">{numero}</a></td><td>{nom}</td><td>{prenom}</td>\n'
    "      <td>{statut}</td><td>{categorie}</td><td>{etablissement}</td><td>{division}</td>\n"
    "      <td>{decision}</td>\n"
    '      <td class="nombre">{moyenne}</td></tr>\n  '
)


@register.simple_tag
def lignes_candidats(candidats):
    """Une ligne par candidat de la liste : numéro (lien vers sa fiche), identité, statut, catégorie (posée par la
    vue), établissement, division, décision et mention, moyenne tronquée à la virgule décimale."""
    modele = modele_adresse("examens:candidat", None)
    lignes = []
    for c in candidats:
        resultat = resultat_joint(c)
        if resultat is None:
            decision_html = "—"
        else:
            decision_html = ligne(
                '<span class="badge text-bg-{couleur}">{decision}</span>{mention}',
                couleur=couleur_decision(resultat.decision),
                decision=decision(resultat.decision),
                mention=ligne(" {m}", m=resultat.mention) if resultat.mention else "",
            )
        lignes.append(
            ligne(
                LIGNE_CANDIDAT,
                adresse=modele.format(int(c.pk)),
                numero=c.numero,
                nom=c.nom,
                prenom=c.prenom,
                statut=c.get_statut_display(),
                categorie=c.categorie.code if c.categorie else "",
                etablissement=c.etablissement.nom,
                division=_division(c),
                decision=decision_html,
                moyenne=virgule(resultat.moyenne) if resultat else "",
            )
        )
    return mark_safe("".join(lignes))  # noqa: S308 (chaque ligne vient de `ligne`, qui a tout échappé)


LIGNE_NOTE = (
    "\n    <tr>\n"
    "      <td>{numero}</td><td>{nom} {prenom}</td><td>{division}</td>\n"
    '      <td class="small">{mode}</td>\n'
    '      <td class="cellule-note">\n'
    '        <label class="visually-hidden" for="note-{pk}">Note de {nom} {prenom}</label>\n'
    '        <input class="form-control form-control-sm saisie-note" id="note-{pk}" name="note" autocomplete="off" '
    'inputmode="decimal"\n'
    '               value="{note}" data-enregistre="{note}"\n'
    '               data-url="{adresse}" data-groupe="{groupe}"\n'
    '               aria-describedby="etat-{pk}" {inactif}>\n'
    "      </td>\n"
    '      <td><span class="etat" id="etat-{pk}" role="status" aria-live="polite">{etat}</span></td>\n'
    "    </tr>\n  "
)
OPTION_UNITE = '<option value="{code}" {choisie}>{code} — {intitule}</option>'
OPTION_FILTRE = '<option value="{pk}" {choisie}>{nom}</option>'


@register.simple_tag
def options_filtre(objets, choisie):
    """Les options d'un filtre des pages de candidats (établissements, divisions) : la clé, le nom, l'option de
    l'adresse choisie (`choisie` : la valeur lue de l'adresse, une chaîne). Une option par division visible : une
    soixantaine pour une académie, dont chacune coûtait au gabarit un filtre et quatre résolutions."""
    return mark_safe(  # noqa: S308 (chaque option vient de `ligne`, qui a tout échappé)
        "".join(
            ligne(OPTION_FILTRE, pk=o.pk, choisie="selected" if choisie == str(o.pk) else "", nom=o.nom) for o in objets
        )
    )


@functools.lru_cache(maxsize=256)
def _intitule_court(intitule: str) -> str:
    """`intitule|capitales|truncatechars:50`, calculé une fois par intitulé (les mêmes à chaque page)."""
    return Truncator(capitales(intitule)).chars(50)


@register.simple_tag
def options_unites(epreuves, choisie):
    """Le menu des unités du tableau de saisie : « U31 — Intitulé… » (50 caractères au plus), l'unité affichée
    choisie ; une quinzaine d'options, dont chacune coûtait au gabarit deux filtres et cinq résolutions."""
    return mark_safe(  # noqa: S308 (chaque option vient de `ligne`, qui a tout échappé)
        "".join(
            ligne(
                OPTION_UNITE,
                code=e.unite.code,
                choisie="selected" if e.pk == choisie.pk else "",
                intitule=_intitule_court(e.intitule),
            )
            for e in epreuves
        )
    )


ETATS_NOTE = {
    "verrouille": mark_safe('<span class="text-muted">verrouillée</span>'),
    "close": mark_safe('<span class="text-muted">saisie close</span>'),
    "proposition": mark_safe('<span class="text-muted">proposition seulement</span>'),
    "enregistree": mark_safe('<span class="etat-enregistre">enregistrée</span>'),
}


@register.simple_tag
def lignes_notes(lignes, unite: str, groupe: int):
    """Une ligne par candidat du tableau de saisie d'une unité : identité, division, mode d'évaluation, la case de
    la note (désactivée si le jury est verrouillé ou la saisie close) et son état ; les attributs `modalite`,
    `note_existante`, `verrouille`, `close` et `proposition` sont posés par la vue."""
    modele = modele_adresse("examens:note-enregistrer", None, unite)
    rendues = []
    for c in lignes:
        note = c.note_existante
        if c.verrouille:
            etat = ETATS_NOTE["verrouille"]
        elif c.close:
            etat = ETATS_NOTE["close"]
        elif c.proposition:
            etat = ETATS_NOTE["proposition"]
        else:
            etat = ETATS_NOTE["enregistree"] if note else ""
        rendues.append(
            ligne(
                LIGNE_NOTE,
                pk=int(c.pk),
                numero=c.numero,
                nom=c.nom,
                prenom=c.prenom,
                division=_division(c),
                mode=(c.modalite.get_mode_display() if c.modalite else "") or "—",
                note=(note.affichage if note else "") or "",
                adresse=modele.format(int(c.pk)),
                groupe=groupe,
                inactif="disabled" if c.verrouille or c.close else "",
                etat=etat,
            )
        )
    return mark_safe("".join(rendues))  # noqa: S308 (chaque ligne vient de `ligne`, qui a tout échappé)


# ------------------------------------------------------------------------------------ délibération
# Les lignes de la salle du jury : la liste « à examiner » et les tableaux par décision, une cinquantaine de
# candidats chacun avec ses raisons, ses écarts aux seuils et sa trace (une vingtaine de lignes).

REMARQUE = '<div class="small text-warning-emphasis" data-testid="remarque">{}</div>'


def _remarques(resultat) -> str:
    return "".join(REMARQUE.format(echapper(m)) for m in resultat.remarques)


def _cellule_raison(jury) -> str:
    """Cellule « Raison » : la décision en mots (regles.raisons), une ligne par raison."""
    if jury is None:
        return '\n<td data-testid="raison"></td>\n'
    raisons = elements_de_liste(jury.raisons)
    return f'\n<td data-testid="raison"><ul class="list-unstyled small mb-0">{raisons}</ul></td>\n'


def _cellule_ecart(resultat, modele_simulateur: str) -> str:
    """Cellule « Écart » : distance exacte à 10 (« +0,42 / 10 »), puis le prochain seuil s'il est autre (8 ou une
    mention) et les points du jury qui l'atteindraient ; lien vers le simulateur (« quelle note faut-il ? »)."""
    jury = resultat.jury
    morceaux = ['\n<td class="small" data-testid="ecart">']
    admission = jury.ecart_admission if jury else None
    if admission:
        morceaux.append(
            '<span class="text-nowrap" title="Écart exact de la moyenne au seuil d\'admission">'
            f"{echapper(admission.texte)}</span>"
        )
    morceaux.append("\n  ")
    prochain = jury.prochain if jury else None
    if prochain and prochain.seuil != (admission.seuil if admission else None):
        libelle = echapper(prochain.libelle)
        morceaux.append(
            f'<br><span class="text-nowrap" title="Prochain seuil : {libelle}">{echapper(prochain.texte)} ({libelle})'
            "</span>"
        )
    morceaux.append("\n  ")
    points = jury.points_pour_prochain if jury else None
    if points:
        points = echapper(exact(points))
        morceaux.append(f'<br><span class="text-nowrap text-muted">jury&nbsp;: +{points}&nbsp;pt</span>')
    morceaux.append("\n  ")
    if jury:
        libelle = "Quelle note faut-il&nbsp;?" if jury.simulable else "Simuler"
        candidat = resultat.candidat
        morceaux.append(
            f'<br><a href="{modele_simulateur.format(int(resultat.candidat_id))}" data-testid="lien-simulateur">'
            f'{libelle}<span class="visually-hidden"> pour {echapper(candidat.nom)} {echapper(candidat.prenom)}'
            "</span></a>"
        )
    morceaux.append("</td>\n")
    return "".join(morceaux)


LIGNE_TAUX = (
    '<tr><th scope="row"{classe}>{libelle}</th><td class="nombre">{total}</td>{colonnes}'
    '<td class="nombre">{reussite}</td></tr>'
)


def _ligne_taux(groupe, classe: str) -> str:
    taux = groupe.taux
    return ligne(
        LIGNE_TAUX,
        classe=mark_safe(classe),  # noqa: S308 (une constante de ce module)
        libelle=groupe.libelle,
        total=groupe.total,
        # Des effectifs entiers : rien à échapper ; une case vide pour zéro (le filtre default:"" des gabarits).
        colonnes=mark_safe("".join(f'<td class="nombre">{n or ""}</td>' for n in groupe.colonnes)),  # noqa: S308
        reussite=mark_safe(f"{echapper(virgule(taux))}&nbsp;%") if taux is not None else "—",  # noqa: S308
    )


@register.simple_tag
def lignes_taux(groupes):
    """Le tableau de réussite de la salle du jury (selectors.TauxGroupe) : une ligne par établissement ou division,
    ses effectifs par décision et son taux de réussite."""
    return mark_safe("".join(_ligne_taux(g, ' class="fw-normal"') for g in groupes))  # noqa: S308 (par `ligne`)


@register.simple_tag
def ligne_taux_totale(total):
    """La ligne « Sélection » du pied du tableau de réussite."""
    return mark_safe(_ligne_taux(total, ""))  # noqa: S308 (par `ligne`)


LIGNE_A_EXAMINER = (
    '\n        <tr><td><a href="{adresse}">{nom} {prenom}</a> <span class="text-muted small">{numero}</span></td>\n'
    '          <td>{division}</td><td class="nombre">{moyenne}</td><td class="nombre">{moyenne_pro}</td>\n'
    '          <td><span class="badge text-bg-{couleur}">{decision}</span> {mention}{remarques}</td>\n'
    "          {raison}{ecart}</tr>\n      "
)


@register.simple_tag
def lignes_a_examiner(resultats, annee: int):
    """Les candidats que le jury examine (selectors.a_examiner) : moyennes, décision, raisons, écarts aux seuils ;
    `resultat.jury` est la ligne de la salle du jury (selectors.salle_du_jury) posée par la vue."""
    modele = modele_adresse("examens:candidat", None)
    simulateur = modele_adresse("examens:simulateur", annee, None)
    rendues = []
    for r in resultats:
        c = r.candidat
        rendues.append(
            ligne(
                LIGNE_A_EXAMINER,
                adresse=modele.format(int(c.pk)),
                nom=c.nom,
                prenom=c.prenom,
                numero=c.numero,
                division=_division(c),
                moyenne=virgule(r.moyenne),
                moyenne_pro=virgule(r.moyenne_professionnelle),
                couleur=couleur_decision(r.decision),
                decision=decision(r.decision),
                mention=r.mention,
                remarques=mark_safe(_remarques(r)),  # noqa: S308 (chaque remarque échappée par echapper)
                raison=mark_safe(_cellule_raison(r.jury)),  # noqa: S308 (idem)
                ecart=mark_safe(_cellule_ecart(r, simulateur)),  # noqa: S308 (idem)
            )
        )
    return mark_safe("".join(rendues))  # noqa: S308 (chaque ligne vient de `ligne`, qui a tout échappé)


LIGNE_PAR_DECISION = (
    '\n          <tr><td>{numero}</td><td><a href="{adresse}">{nom} {prenom}</a></td>\n'
    '            <td class="nombre">{points}</td><td class="nombre">{moyenne}</td><td>{mention}{remarques}</td>\n'
    "            {raison}\n"
    # La trace (une vingtaine de lignes, repliée) vient quand le jury la déplie : voir `lignes_par_decision`.
    '            <td><details hx-get="{adresse_trace}" hx-trigger="toggle once" hx-target="find ol" '
    'hx-swap="outerHTML">'
    '<summary class="small">trace</summary><ol class="small mb-0"><li><a href="{adresse}">Détail du calcul sur la fiche'
    " du candidat</a></li></ol></details>"
    "</td></tr>\n        "
)


@register.simple_tag
def lignes_par_decision(resultats, annee: int):
    """Les candidats d'une décision : points, moyenne, mention, raisons et la trace du calcul, repliée.

    La trace n'est ni lue ni écrite avec la page : six cents lignes de liste pour une division, que le jury déplie
    une à une, c'était 5 % des instructions de la page (bench/instructions_enregistrement.py). Déplier
    « trace » la demande (htmx, `views_jury.trace`) ; sans JavaScript, le lien mène à la fiche, qui la montre."""
    modele = modele_adresse("examens:candidat", None)
    modele_trace = modele_adresse("examens:trace", annee, None)
    rendues = []
    for r in resultats:
        c = r.candidat
        rendues.append(
            ligne(
                LIGNE_PAR_DECISION,
                numero=c.numero,
                adresse=modele.format(int(c.pk)),
                nom=c.nom,
                prenom=c.prenom,
                points=exact(r.points),
                moyenne=virgule(r.moyenne),
                mention=mention(r.mention),
                remarques=mark_safe(_remarques(r)),  # noqa: S308 (chaque remarque échappée par echapper)
                raison=mark_safe(_cellule_raison(r.jury)),  # noqa: S308 (idem)
                adresse_trace=modele_trace.format(int(c.pk)),
            )
        )
    return mark_safe("".join(rendues))  # noqa: S308 (chaque ligne vient de `ligne`, qui a tout échappé)
