"""Pages de l'organisation du CCF d'une commission : planifier, ajuster, marquer la présence, documents.

Lecture : qui voit la commission (examens.ccf.views._commission, 404 sinon). Écriture : un membre de la commission
ou un gestionnaire (examens.change_division) ; sinon 403.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from examens.ccf import lectures
from examens.ccf.views import _commission, _membres
from examens.organisation import documents, durees, productions, services
from examens.organisation.forms import AmenagementForm, ConformiteForm, DeplacementForm, PlanificationForm
from examens.organisation.models import Amenagement, ConformiteDossier, Passage, ProductionEcrite, Situation
from examens.services import OperationRefusee


def _peut_organiser(request, commission) -> bool:
    return (
        request.user.has_perm("examens.change_division")
        or commission.membres_commission.filter(utilisateur_id=request.user.pk).exists()
    )


def _exiger(request, commission) -> None:
    if not _peut_organiser(request, commission):
        raise PermissionDenied("Seuls les membres de la commission et les gestionnaires organisent ses situations.")


def _minutes(t) -> int:
    return t.hour * 60 + t.minute


def _cle_session(commission) -> str:
    return f"organisation_ccf_{commission.pk}"


def _formulaire(commission, data=None, request=None):
    """Le formulaire du planificateur, prérempli avec les derniers paramètres de cet utilisateur : on replanifie
    souvent une deuxième division avec les mêmes journées et les mêmes salles."""
    initial = {"duree_ccf": durees.duree_ccf(commission.gabarit.epreuve)}
    if request is not None:
        initial.update(request.session.get(_cle_session(commission), {}))
    return PlanificationForm(data, commission=commission, initial=initial)


def _horaires(request, commission) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """La journée et la pause déjeuner des derniers paramètres du planificateur (sinon ceux du formulaire), pour ne
    proposer au glisser-déposer que des créneaux dans la journée et hors du déjeuner."""
    form = _formulaire(commission, request=request)

    def lu(champ):
        valeur = form.initial.get(champ, form.fields[champ].initial)
        if isinstance(valeur, str):
            try:
                valeur = datetime.time.fromisoformat(valeur.strip())
            except ValueError:
                valeur = None
        return _minutes(valeur) if isinstance(valeur, datetime.time) else None

    debut, fin, dej_debut, dej_fin = (lu(c) for c in ("debut", "fin", "dejeuner_debut", "dejeuner_fin"))
    journee = (debut or 8 * 60, fin or 17 * 60)
    return journee, ((dej_debut, dej_fin) if dej_debut is not None and dej_fin is not None else None)


def _lignes(request, commission, situations, peut_organiser: bool) -> None:
    """Chaque situation datée reçoit ses lignes dans l'ordre de la journée : ses passages et, pour qui organise,
    les créneaux libres de la commission ce jour-là, cibles du glisser-déposer (`s.lignes`)."""
    libres = {}
    if peut_organiser:
        journee, dejeuner = _horaires(request, commission)
        libres = services.creneaux_libres((p for s in situations for p in s.passages.all()), journee, dejeuner)
    for s in situations:
        lignes = [((p.debut or datetime.time.max), 0, p.pk, {"passage": p}) for p in s.passages.all()]
        for c in libres.get(s.date, []) if s.date else []:
            cle = f"{s.pk}-{c.heure_debut}"
            lignes.append((datetime.time(c.debut // 60, c.debut % 60), 1, 0, {"libre": c, "cle": cle}))
        s.lignes = [ligne for *_, ligne in sorted(lignes, key=lambda x: x[:3])]


def _page(request, commission, form=None, explication="", erreur=None):
    situations = list(
        commission.situations_ccf.prefetch_related(
            "membres",
            Prefetch(
                "passages",
                Passage.objects.select_related("candidat__division", "rattrapage").prefetch_related(
                    Prefetch("productions", ProductionEcrite.objects.defer("contenu"))
                ),
            ),
        )
    )
    # Par journée puis par heure du premier passage : la page se lit comme la journée de la commission.
    situations.sort(
        key=lambda s: (
            s.rattrapage,
            s.date or datetime.date.max,
            min((p.debut for p in s.passages.all() if p.debut), default=datetime.time.max),
            s.pk,
        )
    )
    peut_organiser = _peut_organiser(request, commission)
    _lignes(request, commission, situations, peut_organiser)
    if erreur and erreur.get("cible") not in {ligne.get("cle") for s in situations for ligne in s.lignes}:
        erreur["cible"] = ""  # créneau inconnu : l'erreur va à côté du passage
    return render(
        request,
        "examens/organisation/organisation.html",
        {
            "erreur": erreur or {},
            "commission": commission,
            "membres": _membres(commission),
            "form": form or _formulaire(commission, request=request),
            "explication": explication,
            "situations": situations,
            "comptes": services.comptes(commission),
            "peut_organiser": peut_organiser,
            "divisions": commission.divisions.all(),
            "presences": [
                (Passage.Presence.PRESENT, "Présent"),
                (Passage.Presence.ABSENT_JUSTIFIE, "Absent justifié"),
                (Passage.Presence.ABSENT_NON_JUSTIFIE, "Absent non justifié"),
            ],
            "candidats": _candidats(commission),
            "productions": commission.gabarit.epreuve in productions.EPREUVES,
        },
    )


def _candidats(commission):
    fiches = {f.candidat_id: f for f in ConformiteDossier.objects.filter(commission=commission)}
    candidats = list(
        lectures.candidats_de_commission(commission)
        .select_related("amenagement")
        .order_by("division__nom", "nom", "prenom")
    )
    for c in candidats:
        c.conformite = fiches.get(c.pk)
    return candidats


@permission_required("examens.view_candidat", raise_exception=True)
def organisation(request, pk):
    return _page(request, _commission(request, pk))


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def planifier(request, pk):
    commission = _commission(request, pk)
    _exiger(request, commission)
    form = _formulaire(commission, request.POST)
    if not form.is_valid():
        return _page(request, commission, form)
    c = form.cleaned_data
    parametres = services.Parametres(
        numero=c["numero"],
        jours=c["jours"],
        debut=_minutes(c["debut"]),
        fin=_minutes(c["fin"]),
        dejeuner=(_minutes(c["dejeuner_debut"]), _minutes(c["dejeuner_fin"])) if c["dejeuner_debut"] else None,
        pause=c["pause"],
        salles=c["salles"],
        duree_ccf=c["duree_ccf"],
        limite_secondes=8.0,
    )
    try:
        resultat = services.planifier_division(
            commission=commission, division=c["division"], parametres=parametres, auteur=request.user
        )
    except OperationRefusee as e:
        form.add_error(None, str(e))
        return _page(request, commission, form)
    if not resultat.trouve:
        return _page(request, commission, form, explication=resultat.explication)
    request.session[_cle_session(commission)] = {
        k: v for k, v in request.POST.items() if k in form.fields and k not in ("division",)
    }
    messages.success(request, f"Planning enregistré : {len(resultat.creneaux)} passages pour {c['division'].nom}.")
    return redirect("examens:organisation", commission.pk)


def _passage(commission, pk) -> Passage:
    return get_object_or_404(
        Passage.objects.select_related("situation__commission", "candidat__division"),
        pk=pk,
        situation__commission=commission,
    )


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def deplacer(request, pk, passage):
    commission = _commission(request, pk)
    _exiger(request, commission)
    p = _passage(commission, passage)
    form = DeplacementForm(request.POST)
    # Glisser-déposer : `cible` nomme le créneau libre où le passage a été déposé ; l'erreur s'affiche à côté de
    # lui. Au clavier : à côté du formulaire de la ligne. La page est alors rendue telle quelle (rien d'écrit).
    cible = request.POST.get("cible", "")[:40]
    erreur = {"passage": p.pk, "cible": cible, "nom": f"{p.candidat.nom} {p.candidat.prenom}"}
    if not form.is_valid():
        erreur["message"] = " ".join(str(e) for erreurs in form.errors.values() for e in erreurs)
        return _page(request, commission, erreur=erreur)
    try:
        deplace = services.deplacer_passage(
            passage=p,
            date=form.cleaned_data["date"],
            debut=form.cleaned_data["debut"],
            salle=form.cleaned_data["salle"],
            auteur=request.user,
        )
    except OperationRefusee as e:
        erreur["message"] = str(e)
        return _page(request, commission, erreur=erreur)
    messages.success(request, f"Passage de {p.candidat.nom} {p.candidat.prenom} déplacé.")
    if deplace.grille_suivie:
        messages.info(request, deplace.grille_suivie)
    return redirect(reverse("examens:organisation", args=[commission.pk]) + f"#passage-{p.pk}")


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def presence(request, pk, passage):
    commission = _commission(request, pk)
    _exiger(request, commission)
    p = _passage(commission, passage)
    try:
        services.marquer_presence(
            passage=p,
            presence=request.POST.get("presence", ""),
            motif=request.POST.get("motif", "")[:500],
            auteur=request.user,
        )
    except OperationRefusee as e:
        messages.error(request, str(e))
    else:
        p.refresh_from_db()
        messages.success(request, f"{p.candidat.nom} {p.candidat.prenom} : {p.get_presence_display()}.")
    return redirect("examens:organisation", commission.pk)


def _pdf(contenu: bytes, nom: str) -> HttpResponse:
    reponse = HttpResponse(contenu, content_type="application/pdf")
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    return reponse


@permission_required("examens.view_candidat", raise_exception=True)
def convocation(request, pk, passage):
    commission = _commission(request, pk)
    p = _passage(commission, passage)
    rendu = documents.convocation(p)
    return _pdf(rendu.contenu, f"convocation-{commission.gabarit.epreuve}-{p.candidat.numero}.pdf")


@permission_required("examens.view_candidat", raise_exception=True)
def convocations_division(request, pk, division):
    commission = _commission(request, pk)
    division = get_object_or_404(commission.divisions.all(), pk=division)
    passages = list(
        Passage.objects.filter(situation__commission=commission, candidat__division=division, presence="a_marquer")
        .exclude(situation__date__isnull=True)
        .select_related("situation__commission__session", "candidat__division")
        .order_by("situation__date", "debut")
    )
    if not passages:
        messages.error(request, f"Aucun passage planifié pour {division.nom} : planifiez d'abord la division.")
        return redirect("examens:organisation", commission.pk)
    contenu = documents.convocations_fusionnees(passages)
    return _pdf(contenu, f"convocations-{commission.gabarit.epreuve}-{slugify(division.nom)}.pdf")


@permission_required("examens.view_candidat", raise_exception=True)
def emargement(request, pk, situation):
    commission = _commission(request, pk)
    s = get_object_or_404(Situation, pk=situation, commission=commission)
    rendu = documents.emargement(s)
    return _pdf(
        rendu.contenu, f"emargement-{commission.gabarit.epreuve}-{s.date or 'a-planifier'}-{slugify(s.salle)}.pdf"
    )


@permission_required("examens.view_candidat", raise_exception=True)
def amenagement(request, pk, candidat):
    commission = _commission(request, pk)
    _exiger(request, commission)
    c = get_object_or_404(lectures.candidats_de_commission(commission), pk=candidat)
    instance = Amenagement.objects.filter(candidat=c).first() or Amenagement(candidat=c)
    form = AmenagementForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        services.journaliser(
            action="ccf.amenagement",
            auteur=request.user,
            candidat=c,
            objet=f"aménagements {commission.gabarit.epreuve}",
            apres={"decision": instance.decision, "amenagements": instance.libelles()},
        )
        messages.success(
            request, f"Aménagements de {c.nom} {c.prenom} enregistrés. Replanifiez la division pour les appliquer."
        )
        return redirect("examens:organisation", commission.pk)
    return render(
        request, "examens/organisation/amenagement.html", {"commission": commission, "candidat": c, "form": form}
    )


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def conformite(request, pk, candidat):
    commission = _commission(request, pk)
    _exiger(request, commission)
    c = get_object_or_404(lectures.candidats_de_commission(commission), pk=candidat)
    form = ConformiteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for erreurs in form.errors.values() for e in erreurs))
    else:
        try:
            services.enregistrer_conformite(commission=commission, candidat=c, auteur=request.user, **form.cleaned_data)
        except OperationRefusee as e:
            messages.error(request, str(e))
        else:
            messages.success(request, f"Dossier de {c.nom} {c.prenom} : vérification enregistrée.")
    return redirect(reverse("examens:organisation", args=[commission.pk]) + "#titre-candidats")


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def production_deposer(request, pk, passage):
    commission = _commission(request, pk)
    _exiger(request, commission)
    p = _passage(commission, passage)
    fichier = request.FILES.get("fichier")
    try:
        if fichier is None:
            raise OperationRefusee("Choisissez un fichier PDF ou une image.")
        if fichier.size > productions.taille_max():
            raise OperationRefusee(
                f"Fichier trop lourd : {productions.taille_max() // (1024 * 1024)} Mo au plus (PDF ou image)."
            )
        productions.deposer(passage=p, nom=fichier.name, contenu=fichier.read(), auteur=request.user)
    except OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Production de {p.candidat.nom} {p.candidat.prenom} déposée.")
    return redirect(reverse("examens:organisation", args=[commission.pk]) + f"#passage-{p.pk}")


@permission_required("examens.view_candidat", raise_exception=True)
def production(request, pk, production):
    commission = _commission(request, pk)
    piece = get_object_or_404(ProductionEcrite, pk=production, passage__situation__commission=commission)
    reponse = HttpResponse(bytes(piece.contenu), content_type=piece.type_mime)
    reponse["Content-Disposition"] = (
        f'attachment; filename="{slugify(piece.nom.rsplit(".", 1)[0]) or "production"}.{piece.type_mime.split("/")[1]}"'
    )
    return reponse


def _situations_de(user):
    return list(
        Situation.objects.filter(membres=user, date__isnull=False)
        .select_related("commission__gabarit", "commission__etablissement")
        .prefetch_related(Prefetch("passages", Passage.objects.select_related("candidat")))
        .order_by("date", "pk")
    )


@permission_required("examens.view_candidat", raise_exception=True)
def tableau_de_bord(request):
    """Les comptes de passages par établissement et par commission, dans le périmètre de l'utilisateur."""
    from examens.models import Commission

    blocs = services.tableau_de_bord(Commission.objects.visibles_par(request.user))
    return render(request, "examens/organisation/tableau_de_bord.html", {"etablissements": blocs})


@login_required
def calendrier(request):
    return render(request, "examens/organisation/calendrier.html", {"situations": _situations_de(request.user)})


@login_required
def calendrier_ics(request):
    reponse = HttpResponse(
        documents.calendrier_ics(request.user, _situations_de(request.user)), content_type="text/calendar"
    )
    reponse["Content-Disposition"] = 'attachment; filename="ccf.ics"'
    return reponse
