"""Pages des grilles CCF : commissions, vue de classe, grille d'un candidat (enregistrée champ par champ).

Visibilité : une commission hors du périmètre (ni membre, ni gestionnaire de l'établissement) répond 404,
comme un candidat qu'elle n'évalue pas ; une action hors des droits répond 403.
"""

import functools
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Window
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agora.requetes import RequeteFigee
from examens import perimetre, selectors
from examens.ccf import circuit, gabarits, lectures, notation, saisie
from examens.ccf.forms import ArretForm, CommissionForm, RenvoiForm
from examens.models import (
    Commission,
    Division,
    Grille,
    HistoriqueGrille,
    MembreCommission,
    Note,
    Session,
    texte_note,
)
from examens.services import OperationRefusee
from referentiel.models import Unite

COMMISSION_INTROUVABLE = "Commission introuvable."
CANDIDAT_INTROUVABLE = "Candidat introuvable dans cette commission."


def _commission(request, pk: int) -> Commission:
    commission = lectures.commission_visible(request.user, pk)
    if commission is None:
        raise Http404(COMMISSION_INTROUVABLE)
    return commission


def _candidat(commission: Commission, pk: int, formes=None):
    candidat = lectures.candidat_de_commission(commission, pk, formes)
    if candidat is None:
        raise Http404(CANDIDAT_INTROUVABLE)
    return candidat


def _situation(commission: Commission, situation: int) -> int:
    if not 1 <= situation <= commission.gabarit.situations:
        raise Http404("Situation inconnue pour cette épreuve.")
    return situation


def _url_grille(commission: Commission, candidat_pk: int, situation: int) -> str:
    return reverse("examens:grille", args=[commission.pk, candidat_pk, situation])


def _membres(commission: Commission) -> list[MembreCommission]:
    return lectures.membres_de(commission)


# ---------------------------------------------------------------------------------------------------
# Commissions
# ---------------------------------------------------------------------------------------------------


COMMISSIONS_PAR_PAGE = 50


@permission_required("examens.view_candidat", raise_exception=True)
def commissions(request):
    liste = (
        Commission.objects.visibles_par(request.user)
        .select_related("session", "etablissement", "gabarit")
        .prefetch_related(
            "divisions", Prefetch("membres_commission", MembreCommission.objects.select_related("utilisateur"))
        )
    )
    division = None
    if request.GET.get("division", "").isdecimal():
        # Seulement parmi les divisions visibles : une autre division donne une liste vide, sans son nom.
        division = Division.objects.filter(pk=request.GET["division"]).select_related("session").first()
        if (
            division is not None
            and selectors.divisions_visibles(request.user, division.session).filter(pk=division.pk).exists()
        ):
            liste = liste.filter(divisions=division)
        else:
            division, liste = None, liste.none()
    # Par pages de 50 : toute une session nationale compte 1 248 commissions (0,6 s et 619 Ko d'un bloc).
    liste = liste.order_by("-session__annee", "etablissement__nom", "gabarit__epreuve", "nom", "pk")
    page = Paginator(liste, COMMISSIONS_PAR_PAGE).get_page(request.GET.get("page"))
    commissions = lectures.avec_comptes_de_grilles(list(page.object_list))
    return render(
        request,
        "examens/grilles/commissions.html",
        {
            "commissions": commissions,
            "page": page,
            "parametres": f"division={division.pk}" if division else "",
            "division": division,
            "peut_creer": request.user.has_perm("examens.change_division"),
        },
    )


def _gabarits():
    session = Session.objects.select_related("reglement").order_by("-annee").first()
    return gabarits.gabarits_actifs(session.reglement.referentiel) if session else {}


def _formulaire_commission(request, commission: Commission | None):
    gabarits = _gabarits()
    if commission is not None:
        gabarits = {commission.gabarit.epreuve: commission.gabarit}
    initial = {}
    if commission is not None:
        membres = _membres(commission)
        initial = {
            "epreuve": commission.gabarit.epreuve,
            "nom": commission.nom,
            "divisions": list(commission.divisions.all()),
            "enseignants": [m.utilisateur for m in membres if m.qualite == MembreCommission.Qualite.ENSEIGNANT],
            "professionnels": [m.utilisateur for m in membres if m.qualite == MembreCommission.Qualite.PROFESSIONNEL],
        }
    form = CommissionForm(
        request.POST or None, user=request.user, gabarits=gabarits, commission=commission, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            commission = saisie.enregistrer_commission(
                gabarit=gabarits[form.cleaned_data["epreuve"]],
                divisions=list(form.cleaned_data["divisions"]),
                membres=form.membres(),
                nom=form.cleaned_data["nom"],
                auteur=request.user,
                commission=commission,
            )
        except OperationRefusee as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Commission enregistrée.")
            return redirect("examens:commission", commission.pk)
    return render(request, "examens/grilles/commission_form.html", {"form": form, "commission": commission})


@permission_required("examens.change_division", raise_exception=True)
def commission_creer(request):
    return _formulaire_commission(request, None)


@permission_required("examens.change_division", raise_exception=True)
def commission_modifier(request, pk):
    commission = _commission(request, pk)
    if not perimetre.peut_ecrire_etablissement(request.user, commission.etablissement):
        raise PermissionDenied(f"Commission de {commission.etablissement.uai} : {perimetre.HORS_PERIMETRE}.")
    return _formulaire_commission(request, commission)


@permission_required("examens.view_candidat", raise_exception=True)
def grille_suivante(request, pk, candidat, situation=1):
    """« Candidat suivant › » : la prochaine grille qui attend ce membre (à commencer, en cours, à confirmer)."""
    c = _commission(request, pk)
    suivante = lectures.grille_suivante(c, request.user, candidat, _situation(c, situation))
    if suivante is None:
        messages.success(request, "Plus aucune grille ne vous attend dans cette commission.")
        return redirect("examens:commission", c.pk)
    return redirect(_url_grille(c, suivante.candidat.pk, suivante.situation))


def ma_liste(commission: Commission, user, calcul=None) -> dict | None:
    """Pour un membre : ses comptes par étape et la première grille qui l'attend ; None pour qui n'y siège pas.

    `calcul` : (travaux, comptes) déjà tirés du tableau de classe, pour ne rien relire.
    """
    if calcul is None:
        if not commission.membres_commission.filter(utilisateur_id=user.pk).exists():
            return None
        calcul = lectures.liste_de_travail(commission, user)
    liste, compte = calcul
    premiere = next((t for t in liste if t.etape in lectures.A_TRAITER), None)
    return {
        "compte": [(code, libelle, compte[code]) for code, libelle in lectures.ETAPES_TRAVAIL.items()],
        "premiere": _url_grille(commission, premiere.candidat.pk, premiere.situation) if premiere else "",
        "a_traiter": sum(compte[e] for e in lectures.A_TRAITER),
    }


@permission_required("examens.view_candidat", raise_exception=True)
def commission(request, pk):
    """Vue de classe : tous les candidats de la commission, l'état de chaque grille et les notes proposées."""
    c = _commission(request, pk)
    membres = _membres(c)
    membre = any(m.utilisateur_id == request.user.pk for m in membres)
    lignes, compte, nb_lignes = lectures.tableau_commission(c, request.user if membre else None)
    return render(
        request,
        "examens/grilles/commission.html",
        {
            "commission": c,
            "membres": membres,
            "lignes": lignes,
            "compte": compte,
            "nb_lignes": nb_lignes,
            "situations": range(1, c.gabarit.situations + 1),
            "peut_modifier": request.user.has_perm("examens.change_division"),
            "ma_liste": ma_liste(c, request.user, lectures.travaux(lignes, nb_lignes)) if membre else None,
        },
    )


# ---------------------------------------------------------------------------------------------------
# Grille d'un candidat
# ---------------------------------------------------------------------------------------------------


@permission_required("examens.view_candidat", raise_exception=True)
def grille(request, pk, candidat, situation=1):
    c = _commission(request, pk)
    situation = _situation(c, situation)
    formes = lectures.formes_par_statut(c)
    cand = _candidat(c, candidat, formes)
    forme = formes[cand.statut]
    g = lectures.grille_existante(cand, c.gabarit.epreuve, situation)
    if g is not None and g.commission_id != c.pk:
        raise Http404("Cette grille est tenue par une autre commission.")
    gabarit = g.gabarit if g else c.gabarit
    droits, evaluations = lectures.droits_et_evaluations(
        request.user,
        session=c.session,
        etablissement_id=c.etablissement_id,
        commission_id=c.pk,
        grille=g,
        candidat=cand,
        epreuve=c.gabarit.epreuve,
    )
    lignes, groupes = lectures.lignes_affichees(gabarit, evaluations)
    membres = _membres(c)
    confirmes = {v.membre_id: v for v in g.validations.all()} if g else {}
    if g is None:
        # Grille pas encore commencée : un objet non enregistré pour l'affichage (créé au premier changement).
        g = Grille(commission=c, candidat=cand, gabarit=gabarit, epreuve=gabarit.epreuve, situation=situation)
        g.forme = forme.forme
    calcul = lectures.calcul_de(g, lignes, evaluations)
    echelle = gabarits.echelle_de(gabarit)
    # Les onglets des situations (et l'état de chacune) ne s'affichent que pour une épreuve à deux situations (E2).
    autres = (
        {x.situation: x for x in _SITUATIONS(candidat=cand.pk, epreuve=gabarit.epreuve)}
        if gabarit.situations > 1
        else {}
    )
    unite = _code_unite(gabarit.referentiel_id, gabarit.epreuve)
    # Seule la note venue des grilles (CCF, ou arrêtée par le jury) se montre ici : une note importée d'ailleurs sur
    # une grille vierge laisserait croire que la commission l'a proposée.
    notes = _NOTE_DES_GRILLES(candidat=cand.pk, unite=unite) if unite else []
    note_unite = notes[0] if notes else None
    historique, total_historique = _historique(g, tout=request.GET.get("historique") == "tout")
    contexte = {
        "commission": c,
        "candidat": cand,
        "session": c.session,
        "situation": situation,
        "situations": [(s, autres.get(s)) for s in range(1, gabarit.situations + 1)],
        "forme": forme,
        "grille": g,
        "gabarit": gabarit,
        "echelle": echelle,
        "niveaux": [(n, _ton(n, echelle)) for n in echelle.niveaux],
        "groupes": groupes,
        "nb_lignes": len(lignes),
        "calcul": calcul,
        "explication": notation.expliquer(calcul),
        "note_suggeree": texte_note("note", calcul.note) if calcul.note is not None else "",
        "note_retenue": lectures.texte_retenu(g),
        "pieces": [(p, bool(g.pieces.get(p["code"]))) for p in gabarit.pieces],
        "membres": [(m, confirmes.get(m.utilisateur_id)) for m in membres],
        "droits": droits,
        # Les erreurs s'affichent quand le membre a voulu confirmer (?verifier=1), pas à l'ouverture d'un brouillon.
        "problemes": dict(lectures.problemes(g, calcul)) if g.pk and request.GET.get("verifier") else {},
        "membre": any(m.utilisateur_id == request.user.pk for m in membres),
        "avertissements": lectures.avertissements(g) if g.pk else [],
        "historique": historique,
        "total_historique": total_historique,
        "unite": unite,
        "note_unite": note_unite,
        "arret_form": ArretForm(initial={"note": texte_note("note", g.note_commission) if g.note_commission else ""}),
        "renvoi_form": RenvoiForm(),
        "justification_requise": _justification_requise(g, calcul),
        "note_proposee_texte": texte_note("note", g.note_proposee) if g.note_proposee is not None else "",
        "note_commission_texte": texte_note("note", g.note_commission) if g.note_commission is not None else "",
        "etapes": Grille.Etat.choices,
        "etapes_passees": Grille.Etat.values[: Grille.Etat.values.index(g.etat)],
    }
    return render(request, "examens/grilles/grille.html", contexte)


HISTORIQUE_AFFICHE = 20


def _historique(g: Grille, tout: bool) -> tuple[list, int]:
    """Les derniers changements, et leur nombre total. Une grille peut en compter des centaines (un par champ
    enregistré) : la page n'en montre que les 20 derniers, sauf sur demande, pour rester rapide."""
    if not g.pk:
        return [], 0
    changements = g.historique.order_by("-date", "-id")
    if tout:
        historique = list(changements)
        return historique, len(historique)
    historique = _DERNIERS_CHANGEMENTS(grille=g.pk)
    return historique, historique[0].total if historique else 0


# Les lectures de la page de grille, compilées une fois par processus (agora/requetes.py).
_SITUATIONS = RequeteFigee(
    lambda candidat, epreuve: (
        Grille.objects.filter(candidat_id=candidat, epreuve=epreuve).only("situation", "etat", "candidat").order_by()
    )
)
# Le code de l'unité de l'épreuve dans le référentiel du gabarit (la première dans l'ordre du référentiel).
_UNITE = RequeteFigee(
    lambda referentiel, epreuve: (
        Unite.objects.filter(referentiel_id=referentiel, epreuve=epreuve).only("code").order_by("ordre", "pk")[:1]
    )
)


@functools.lru_cache(maxsize=256)
def _code_unite(referentiel: int, epreuve: str) -> str | None:
    """Le code de l'unité de l'épreuve dans ce référentiel, lu une fois par processus : les unités d'un référentiel
    sont créées avec lui, dans la même transaction (referentiel.chargement, qui refuse de recharger un code sous une
    autre empreinte), et l'admin du référentiel est en lecture seule. Une lecture de moins par page de grille."""
    unites = _UNITE(referentiel=referentiel, epreuve=epreuve)
    return unites[0].code if unites else None


_NOTE_DES_GRILLES = RequeteFigee(
    lambda candidat, unite: Note.objects.filter(
        candidat_id=candidat, unite=unite, groupe=1, origine__in=[Note.Origine.CCF, Note.Origine.JURY]
    ).order_by("pk")[:1]
)
# Le total dans la même lecture : la fonction de fenêtre compte toutes les lignes avant la limite.
_DERNIERS_CHANGEMENTS = RequeteFigee(
    lambda grille: (
        HistoriqueGrille.objects.filter(grille_id=grille)
        .order_by("-date", "-id")
        .annotate(total=Window(Count("id")))[:HISTORIQUE_AFFICHE]
    )
)


def _justification_requise(g: Grille, calcul) -> bool:
    """Le badge « requise » : une note proposée différente de la suggestion, tant que l'écart n'est pas justifié."""
    return g.note_proposee is not None and g.note_proposee != calcul.note and not g.justification.strip()


def _ton(niveau: notation.Niveau, echelle: notation.Echelle) -> str:
    """Couleur d'un niveau selon sa place dans l'échelle (quelle que soit l'échelle chargée)."""
    if not niveau.evalue:
        return "ton-ne"
    part = niveau.points / echelle.maximum
    return "ton-1" if part < Decimal("0.25") else "ton-2" if part < Decimal("0.5") else "ton-3" if part < 1 else "ton-4"


def _reponse_erreur(e: OperationRefusee) -> JsonResponse:
    if isinstance(e, saisie.ConflitChamp):
        return JsonResponse(
            {
                "erreur": str(e),
                "conflit": True,
                "conflit_champ": {
                    "champ": e.champ,
                    "cle": e.cle,
                    "votre": e.votre,
                    "enregistree": e.enregistree,
                    "par": e.par,
                    "a": e.a,
                },
            },
            status=409,
        )
    if isinstance(e, saisie.ConflitVersion):
        return JsonResponse({"erreur": str(e), "conflit": True}, status=409)
    if isinstance(e, saisie.NonAutorise):
        return JsonResponse({"erreur": str(e)}, status=403)
    champ = getattr(e, "champ", "")
    return JsonResponse({"erreur": str(e), "champ": champ, "cle": getattr(e, "cle", "")}, status=400)


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def grille_enregistrer(request, pk, candidat, situation=1):
    """Un changement de la page (niveau, observation, case, date, note…) : JSON, 409 si la grille a changé."""
    # La commission et le candidat en une requête (chaque clic enregistre) ; les mêmes 404 que _commission,
    # _situation et _candidat, dans le même ordre.
    c, cand = lectures.commission_et_candidat(request.user, pk, candidat)
    if c is None:
        raise Http404(COMMISSION_INTROUVABLE)
    situation = _situation(c, situation)
    if cand is None:
        raise Http404(CANDIDAT_INTROUVABLE)
    version = _version(request)
    if version is None:
        return JsonResponse({"erreur": "Version de la grille manquante : rechargez la page."}, status=400)
    try:
        enr = saisie.enregistrer_champ(
            commission=c,
            candidat=cand,
            situation=situation,
            version=version,
            champ=request.POST.get("champ", ""),
            valeur=request.POST.get("valeur", ""),
            cle=request.POST.get("cle", ""),
            auteur=request.user,
            origine=request.POST.get("origine"),  # la valeur lue par la page : fusion champ par champ
        )
    except OperationRefusee as e:
        return _reponse_erreur(e)
    g, calcul = enr.grille, enr.calcul
    return JsonResponse(
        {
            "version": g.version,
            "enregistre_le": timezone.localtime(g.modifiee_le).strftime("%H:%M:%S"),
            "note_suggeree": texte_note("note", calcul.note) if calcul.note is not None else "",
            "calcul": notation.expliquer(calcul),
            "note_retenue": lectures.texte_retenu(g),
            "a_saisir": calcul.a_saisir,
            "justification_requise": _justification_requise(g, calcul),
            "confirmations_annulees": enr.confirmations_annulees,
        }
    )


def _grille_pour_action(request, pk, candidat, situation) -> tuple[Commission, Grille | None]:
    c = _commission(request, pk)
    situation = _situation(c, situation)
    cand = _candidat(c, candidat)
    g = lectures.grille_existante(cand, c.gabarit.epreuve, situation)
    if g is not None and g.commission_id != c.pk:
        raise Http404("Cette grille est tenue par une autre commission.")
    if g is not None:
        g.commission = c
    return c, g


def _version(request) -> int | None:
    """La version envoyée par la page ; None si absente ou absurde (plus de 9 chiffres : int() échouerait au-delà
    de 4 300, et aucune grille n'atteint le milliard de versions)."""
    v = request.POST.get("version", "")
    return int(v) if v.isdigit() and v.isascii() and len(v) <= 9 else None


def _action(request, pk, candidat, situation, faire, succes: str, bureau: bool = False):
    """`bureau` : un acte du bureau des examens ou du jury (renvoyer, arrêter), permis dans son seul périmètre
    d'écriture, même si l'utilisateur voit la commission parce qu'il en est membre ailleurs."""
    c, g = _grille_pour_action(request, pk, candidat, situation)
    if bureau and g is not None and not perimetre.peut_ecrire_candidat(request.user, g.candidat):
        message = f"Candidat {g.candidat.numero} : {perimetre.HORS_PERIMETRE}."
        return render(request, "examens/grilles/refus.html", {"message": message, "retour": request.path}, status=403)
    if g is None:
        messages.error(request, "La grille n'est pas encore commencée : remplissez-la d'abord.")
        return redirect(_url_grille(c, candidat, situation))
    try:
        faire(g)
    except saisie.NonAutorise as e:
        return render(request, "examens/grilles/refus.html", {"message": str(e), "retour": request.path}, status=403)
    except saisie.GrilleIncomplete as e:
        messages.error(request, "La grille ne peut pas encore être confirmée : " + str(e))
        return redirect(_url_grille(c, g.candidat_id, g.situation) + "?verifier=1")
    except OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.success(request, succes)
    return redirect(_url_grille(c, g.candidat_id, g.situation))


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def grille_confirmer(request, pk, candidat, situation=1):
    return _action(
        request,
        pk,
        candidat,
        situation,
        lambda g: circuit.confirmer_grille(grille=g, version=_version(request), membre=request.user),
        "Votre confirmation est enregistrée.",
    )


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def grille_rouvrir(request, pk, candidat, situation=1):
    return _action(
        request,
        pk,
        candidat,
        situation,
        lambda g: circuit.rouvrir_grille(grille=g, version=_version(request), auteur=request.user),
        "La grille est rouverte : les confirmations sont annulées.",
    )


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def grille_transmettre(request, pk, candidat, situation=1):
    return _action(
        request,
        pk,
        candidat,
        situation,
        lambda g: circuit.transmettre_grille(grille=g, version=_version(request), auteur=request.user),
        "La grille est transmise au jury : sa note est la note proposée de l'unité.",
    )


@require_POST
@permission_required("examens.change_note", raise_exception=True)
def grille_renvoyer(request, pk, candidat, situation=1):
    form = RenvoiForm(request.POST)

    def renvoyer(g):
        _valider(form)
        return circuit.renvoyer_grille(grille=g, motif=form.cleaned_data["motif"], auteur=request.user)

    return _action(request, pk, candidat, situation, renvoyer, "La grille est renvoyée à la commission.", bureau=True)


@require_POST
@permission_required("examens.deliberer", raise_exception=True)
def grille_arreter(request, pk, candidat, situation=1):
    form = ArretForm(request.POST)

    def arreter(g):
        _valider(form)
        return circuit.arreter_grille(
            grille=g, note=form.cleaned_data["note"], motif=form.cleaned_data["motif"], auteur=request.user
        )

    return _action(request, pk, candidat, situation, arreter, "La note est arrêtée par le jury.", bureau=True)


def _valider(form) -> None:
    """Un formulaire invalide ne va pas plus loin : ses erreurs, en français, deviennent le refus de l'action."""
    if not form.is_valid():
        raise OperationRefusee(
            " ".join(
                f"{form.fields[c].label} : {' '.join(e)}" if c in form.fields else " ".join(e)
                for c, e in form.errors.items()
            )
        )
