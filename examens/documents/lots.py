"""Les exports PDF par lots : un ExportLot découpé en tranches rendues par les workers procrastinate
(examens/tasks.py) ou par la commande exporter_pdf ; les fichiers sont rangés en base (aucun disque propre à un
nœud), le PDF unique est assemblé à la fin, le ZIP se construit au téléchargement.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum
from django.utils import timezone

from agora import pdf
from examens.ccf import gabarits
from examens.documents.emission import dernier_emis, donnees_a_emettre, emettre
from examens.documents.impression import (
    candidats_a_imprimer,
    donnees_grilles,
    donnees_pv,
    donnees_releve,
    grilles_a_rendre,
    nom_fichier_grille,
    perimetre_pv,
    sans_surprise,
)
from examens.models import (
    Candidat,
    Division,
    DocumentEmis,
    EchecExport,
    ExportLot,
    FichierExport,
    Grille,
    Session,
)
from examens.services import OperationRefusee, journaliser

logger = logging.getLogger(__name__)

TAILLE_TRANCHE = 8  # documents par tâche : assez pour amortir la tâche, assez peu pour répartir entre workers
FUSION_MAX_DOCUMENTS = 1000  # au-delà, le PDF unique dépasserait des centaines de Mo : ZIP seulement
PV_SYNCHRONE_MAX = 400  # lignes rendues pendant la requête (~10 pages, 2 s) ; au-delà, par un worker
CONSERVATION_EXPORTS_JOURS = 7


# ---------------------------------------------------------------------------------------------------
# Travaux : un document à produire (rendu, ou repris d'un document émis), pour les lots et la commande
# ---------------------------------------------------------------------------------------------------


@dataclass
class Travail:
    rang: int
    nom: str
    type_document: str  # « grille », « releve », « pv »
    donnees: dict | None  # None : document déjà émis, repris tel quel
    emis: DocumentEmis | None = None
    a_emettre: bool = False  # relevé ou PV d'une session verrouillée pas encore émis : le rendu sera conservé
    objet: str = ""
    candidat: Candidat | None = None


def cles_du_lot(*, type_lot: str, session: Session, user=None, division: Division | None = None, epreuve: str = ""):
    """Les clés ordonnées des documents d'un lot : pk des grilles, pk des candidats, ou [0] (procès-verbal)."""
    candidats = Candidat.objects.visibles_par(user) if user else Candidat.objects.all()
    candidats = candidats.de_session(session)
    if division is not None:
        candidats = candidats.filter(division=division)
    if type_lot == ExportLot.Type.GRILLES:
        qs = Grille.objects.filter(candidat__in=candidats)
        if epreuve:
            qs = qs.filter(epreuve=epreuve)
        return list(
            qs.order_by(
                "candidat__division__nom",
                "epreuve",
                "candidat__nom",
                "candidat__prenom",
                "candidat__numero",
                "situation",
            ).values_list("pk", flat=True)
        )
    if type_lot == ExportLot.Type.RELEVES:
        return list(candidats.order_by("division__nom", "nom", "prenom", "numero").values_list("pk", flat=True))
    return [0]


def preparer(*, type_lot: str, session: Session, cles: list[int], debut: int, user=None) -> list[Travail]:
    """Lit en base ce qu'il faut pour produire ces documents (rangs debut, debut + 1…) ; clés disparues ignorées."""
    travaux = []
    if type_lot == ExportLot.Type.GRILLES:
        par_pk = {g.pk: g for g in grilles_a_rendre(Grille.objects.filter(pk__in=cles))}
        presentes = [par_pk[c] for c in cles if c in par_pk]
        donnees = dict(zip([g.pk for g in presentes], donnees_grilles(presentes), strict=True))
        for i, cle in enumerate(cles):
            if cle in donnees:
                d = donnees[cle]
                travaux.append(Travail(debut + i, nom_fichier_grille(d), "grille", d))
        return travaux
    if type_lot == ExportLot.Type.RELEVES:
        par_pk = {c.pk: c for c in candidats_a_imprimer(Candidat.objects.filter(pk__in=cles))}
        # Arrêtés : toute la session verrouillée, ou le jury de leur établissement.
        arretes = set(par_pk) - set(Candidat.objects.filter(pk__in=cles).ouverts().values_list("pk", flat=True))
        emis = {}
        if arretes:
            numeros = [c.numero for c in par_pk.values() if c.pk in arretes]
            for doc in (
                DocumentEmis.objects.filter(
                    type=DocumentEmis.Type.RELEVE, session_annee=session.annee, objet__in=numeros
                )
                .defer("contenu", "donnees")
                .order_by("objet", "version")
            ):
                emis[doc.objet] = doc  # la dernière version l'emporte
        for i, cle in enumerate(cles):
            c = par_pk.get(cle)
            if c is None:
                continue
            dossier = sans_surprise(c.division.nom if c.division else "sans-division")
            nom = f"{dossier}/releve-{c.numero}-{sans_surprise(c.nom)}.pdf"
            if c.numero in emis:
                travaux.append(Travail(debut + i, nom, "releve", None, emis=emis[c.numero], objet=c.numero))
                continue
            d = donnees_releve(c, arrete=c.pk in arretes)
            if c.pk in arretes:
                d = donnees_a_emettre(DocumentEmis.Type.RELEVE, d)
            travaux.append(Travail(debut + i, nom, "releve", d, a_emettre=c.pk in arretes, objet=c.numero, candidat=c))
        return travaux
    perimetre = perimetre_pv(user, session)
    nom = f"proces-verbal-{session.annee}.pdf"
    if session.verrouillee and (doc := dernier_emis(DocumentEmis.Type.PROCES_VERBAL, session.annee, perimetre.objet)):
        return [Travail(debut, nom, "pv", None, emis=doc, objet=perimetre.objet)]
    d = {**donnees_pv(session, perimetre), "objet": perimetre.objet}
    if session.verrouillee:
        d = donnees_a_emettre(DocumentEmis.Type.PROCES_VERBAL, d)
    return [Travail(debut, nom, "pv", d, a_emettre=session.verrouillee, objet=perimetre.objet)]


def conserver(travail: Travail, rendu: pdf.Rendu, *, session: Session, auteur=None) -> tuple[bytes, int]:
    """Après le rendu d'un travail : émet le document s'il doit l'être ; renvoie le fichier à livrer.

    Si un autre worker l'a émis entre-temps, c'est son fichier qu'on livre (un seul document émis par version).
    """
    if not travail.a_emettre:
        return rendu.contenu, rendu.pages
    document, _ = emettre(
        type_document=travail.type_document,
        session=session,
        objet=travail.objet,
        donnees=travail.donnees,
        auteur=auteur,
        rendu=rendu,
        candidat=travail.candidat,
    )
    return bytes(document.contenu), document.pages


def produire(travail: Travail, *, session: Session, auteur=None) -> tuple[bytes, int]:
    """Le fichier d'un travail, rendu dans ce processus (worker) ou repris du document émis."""
    if travail.emis is not None:
        contenu = DocumentEmis.objects.values_list("contenu", flat=True).get(pk=travail.emis.pk)
        return bytes(contenu), travail.emis.pages
    return conserver(
        travail, pdf.rendre_document(travail.type_document, travail.donnees), session=session, auteur=auteur
    )


# ---------------------------------------------------------------------------------------------------
# Exports par lots
# ---------------------------------------------------------------------------------------------------


def epreuves_a_grille(session: Session) -> list[str]:
    return sorted(gabarits.gabarits_actifs(session.reglement.referentiel))


@transaction.atomic
def creer_export(
    *,
    session: Session,
    type_lot: str,
    auteur,
    division: Division | None = None,
    epreuve: str = "",
    fusionner: bool = False,
) -> ExportLot:
    """Crée le lot et met ses tranches dans la file procrastinate (dans la même transaction : tout ou rien)."""
    from examens import tasks  # tâches procrastinate : importées à l'usage (l'application doit être prête)

    if type_lot not in ExportLot.Type.values:
        raise OperationRefusee("Type de documents inconnu.")
    if division is not None and division.session_id != session.pk:
        raise OperationRefusee("Cette division n'appartient pas à la session.")
    if type_lot != ExportLot.Type.GRILLES:
        epreuve = ""
    if epreuve and epreuve not in epreuves_a_grille(session):
        raise OperationRefusee(f"Pas de grille pour l'épreuve {epreuve}.")
    if type_lot == ExportLot.Type.PROCES_VERBAL:
        division = None
    cles = cles_du_lot(type_lot=type_lot, session=session, user=auteur, division=division, epreuve=epreuve)
    if not cles:
        raise OperationRefusee("Aucun document à exporter pour ce choix.")
    if fusionner and len(cles) > FUSION_MAX_DOCUMENTS:
        raise OperationRefusee(
            f"Le PDF unique est limité à {FUSION_MAX_DOCUMENTS} documents ({len(cles)} demandés) : "
            "demandez le ZIP seul, ou un lot plus petit (une division, une épreuve)."
        )
    lot = ExportLot.objects.create(
        session=session,
        type=type_lot,
        division=division,
        epreuve=epreuve,
        fusionner=fusionner and type_lot != ExportLot.Type.PROCES_VERBAL,
        demande_par=auteur,
        cles=cles,
        total=len(cles),
    )
    tasks.differer_lot(lot, cles)
    journaliser(
        action="export.demande",
        auteur=auteur,
        session=session,
        objet=f"export {lot.pk}",
        apres={
            "type": type_lot,
            "documents": len(cles),
            "division": division.nom if division else "",
            "epreuve": epreuve,
        },
    )
    return lot


@transaction.atomic
def relancer_export(*, lot: ExportLot, auteur) -> None:
    """Remet toutes les tranches d'un lot inachevé dans la file ; chacune ne refait que ses documents manquants."""
    from examens import tasks

    tasks.differer_lot(lot, lot.cles)
    journaliser(action="export.relance", auteur=auteur, session=lot.session, objet=f"export {lot.pk}")


def file_du_lot(lot: ExportLot) -> dict[str, int]:
    """Tâches du lot dans la file procrastinate, par état (todo, doing, failed…)."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    return dict(
        ProcrastinateJob.objects.filter(task_name="examens.rendre_tranche", args__lot_id=lot.pk)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )


def tranches(cles: list[int], taille: int = TAILLE_TRANCHE) -> list[tuple[int, list[int]]]:
    return [(i, cles[i : i + taille]) for i in range(0, len(cles), taille)]


def traiter_tranche(*, lot_id: int, debut: int, cles: list[int]) -> None:
    """Rend une tranche d'un lot (appelée par un worker). Rejouée après une panne : ne refait que ce qui manque.

    « Ce qui manque » : les rangs qui n'ont ni fichier ni échec enregistré. Un document en échec n'est pas retenté
    (il est déjà compté, et son message est dans la liste des erreurs du lot).
    """
    lot = (
        ExportLot.objects.select_related("session__reglement", "demande_par")
        .defer("cles", "fusion")
        .filter(pk=lot_id)
        .first()
    )
    if lot is None or lot.fini:
        return
    rangs = range(debut, debut + len(cles))
    deja = set(FichierExport.objects.filter(lot_id=lot_id, rang__in=rangs).values_list("rang", flat=True))
    deja |= set(EchecExport.objects.filter(lot_id=lot_id, rang__in=rangs).values_list("rang", flat=True))
    a_faire = [(debut + i, c) for i, c in enumerate(cles) if debut + i not in deja]
    if not a_faire:
        _avancer(lot_id)  # la tranche était faite : le lot a peut-être seulement attendu son dernier compte
        return
    if lot.type == ExportLot.Type.PROCES_VERBAL and lot.demande_par is None:
        # Le périmètre d'un procès-verbal est celui du demandeur : sans lui, on ne l'élargit pas à la session.
        _echouer(lot_id, [(rang, "procès-verbal : le compte qui l'a demandé n'existe plus") for rang, _ in a_faire])
        return
    ExportLot.objects.filter(pk=lot_id, etat=ExportLot.Etat.EN_ATTENTE).update(
        etat=ExportLot.Etat.EN_COURS, debut=timezone.now()
    )
    try:
        travaux = {
            t.rang: t
            for t in preparer(
                type_lot=lot.type,
                session=lot.session,
                cles=[c for _, c in a_faire],
                debut=0,
                user=lot.demande_par,
            )
        }
    except Exception as e:  # lecture impossible : toute la tranche est en échec, le lot se termine quand même
        logger.exception("Export %s : préparation de la tranche %s impossible", lot_id, debut)
        _echouer(lot_id, [(rang, f"document {rang + 1} : {e}") for rang, _ in a_faire])
        return
    for position, (rang, _) in enumerate(a_faire):
        travail = travaux.get(position)
        if travail is None:
            _echouer(lot_id, [(rang, f"document {rang + 1} : supprimé depuis la demande")])
            continue
        try:
            contenu, pages = produire(travail, session=lot.session, auteur=lot.demande_par)
        except Exception as e:
            logger.exception("Export %s : échec du document %s", lot_id, travail.nom)
            _echouer(lot_id, [(rang, f"{travail.nom} : {e}")])
            continue
        with transaction.atomic():
            # Un autre worker a pu rendre le même document (tranche reprise alors que le premier vivait encore) :
            # la contrainte d'unicité (lot, rang) garde un seul fichier.
            FichierExport.objects.bulk_create(
                [
                    FichierExport(
                        lot_id=lot_id,
                        rang=rang,
                        nom=travail.nom,
                        contenu=contenu,
                        pages=pages,
                        sha256=hashlib.sha256(contenu).hexdigest(),
                    )
                ],
                ignore_conflicts=True,
            )
            _avancer(lot_id)


def _echouer(lot_id: int, echecs: list[tuple[int, str]]) -> None:
    with transaction.atomic():
        EchecExport.objects.bulk_create(
            [EchecExport(lot_id=lot_id, rang=rang, message=message[:300]) for rang, message in echecs],
            ignore_conflicts=True,
        )
        _avancer(lot_id)


def abandonner_tranche(*, lot_id: int, debut: int, cles: list[int], motif: str) -> None:
    """Une tranche qui a tué son worker à chaque tentative : ses documents manquants sont notés en échec."""
    rangs = range(debut, debut + len(cles))
    faits = set(FichierExport.objects.filter(lot_id=lot_id, rang__in=rangs).values_list("rang", flat=True))
    _echouer(lot_id, [(rang, f"document {rang + 1} : {motif}") for rang in rangs if rang not in faits])


def abandonner_fusion(*, lot_id: int, motif: str) -> None:
    """L'assemblage a tué son worker à chaque tentative : le lot se termine sans PDF unique (le ZIP reste)."""
    with transaction.atomic():
        lot = ExportLot.objects.select_for_update().defer("cles", "fusion").filter(pk=lot_id).first()
        if lot is None or lot.etat != ExportLot.Etat.ASSEMBLAGE:
            return
        lot.etat, lot.fin = ExportLot.Etat.TERMINE, timezone.now()
        lot.erreurs = [*lot.erreurs, f"PDF unique : {motif}"[:300]]
        lot.save(update_fields=["etat", "fin", "erreurs"])


def _avancer(lot_id: int) -> None:
    """Recompte le lot sur ses fichiers et ses échecs ; complet, il se termine ou lance l'assemblage du PDF unique.

    Compter (et non incrémenter) rend l'avancement idempotent : rejouer une tranche, ou deux workers sur la même
    tranche, donnent le même total. Le verrou de ligne sérialise la décision de fin : un seul worker la prend.
    """
    from examens import tasks

    with transaction.atomic():
        lot = ExportLot.objects.select_for_update().defer("cles", "fusion").get(pk=lot_id)
        if lot.fini or lot.etat == ExportLot.Etat.ASSEMBLAGE:
            return
        fichiers = FichierExport.objects.filter(lot_id=lot_id)
        compte = fichiers.aggregate(n=Count("id"), pages=Sum("pages"))
        echecs = EchecExport.objects.filter(lot_id=lot_id).exclude(rang__in=fichiers.values("rang")).order_by("rang")
        messages = list(echecs.values_list("message", flat=True))
        lot.echecs = len(messages)
        lot.faits = min(compte["n"] + lot.echecs, lot.total)
        lot.pages = compte["pages"] or 0
        lot.erreurs = messages[:200]
        champs = ["faits", "pages", "echecs", "erreurs"]
        if lot.faits == lot.total:
            if lot.fusionner and lot.echecs < lot.total:
                lot.etat = ExportLot.Etat.ASSEMBLAGE
                transaction.on_commit(lambda: tasks.differer_fusion(lot_id))
            else:
                lot.etat = ExportLot.Etat.ECHEC if lot.echecs == lot.total else ExportLot.Etat.TERMINE
                lot.fin = timezone.now()
                champs.append("fin")
            champs.append("etat")
        lot.save(update_fields=champs)


def _par_paquets(lot_id: int, taille: int = 25) -> Iterator[tuple[str, bytes]]:
    """Les fichiers d'un lot dans l'ordre, lus par paquets (jamais tout le lot en mémoire)."""
    ids = list(FichierExport.objects.filter(lot_id=lot_id).order_by("rang").values_list("pk", flat=True))
    for i in range(0, len(ids), taille):
        paquet = FichierExport.objects.filter(pk__in=ids[i : i + taille]).order_by("rang").values_list("nom", "contenu")
        for nom, contenu in paquet:
            yield nom, bytes(contenu)


def fusionner_lot(*, lot_id: int) -> None:
    """Assemble le PDF unique d'un lot terminé (pypdf), puis termine le lot."""
    from pypdf import PdfWriter

    lot = ExportLot.objects.defer("cles", "fusion").filter(pk=lot_id).first()
    if lot is None or lot.etat != ExportLot.Etat.ASSEMBLAGE:
        return
    ecrivain = PdfWriter()
    try:
        for _, contenu in _par_paquets(lot_id):
            ecrivain.append(io.BytesIO(contenu))
        sortie = io.BytesIO()
        ecrivain.write(sortie)
    except Exception as e:
        logger.exception("Export %s : assemblage du PDF unique impossible", lot_id)
        ExportLot.objects.filter(pk=lot_id).update(
            etat=ExportLot.Etat.TERMINE, fin=timezone.now(), erreurs=[*lot.erreurs, f"PDF unique : {e}"[:300]]
        )
        return
    ExportLot.objects.filter(pk=lot_id).update(
        fusion=sortie.getvalue(), etat=ExportLot.Etat.TERMINE, fin=timezone.now()
    )


class _Flux(io.RawIOBase):
    """Sortie d'un ZipFile non adressable : ce qui est écrit est rendu morceau par morceau au client."""

    def __init__(self):
        self._morceaux: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self._morceaux.append(bytes(b))
        return len(b)

    def vider(self) -> bytes:
        donnees, self._morceaux = b"".join(self._morceaux), []
        return donnees


def flux_zip(lot: ExportLot) -> Iterator[bytes]:
    """Le ZIP d'un lot, construit à la volée (PDF déjà compressés : stockés tels quels)."""
    flux = _Flux()
    with zipfile.ZipFile(flux, "w", compression=zipfile.ZIP_STORED) as archive:
        horodatage = timezone.localtime(lot.demande_le).timetuple()[:6]
        for nom, contenu in _par_paquets(lot.pk):
            archive.writestr(zipfile.ZipInfo(nom, date_time=horodatage), contenu)
            yield flux.vider()
        if lot.erreurs:
            texte = "Documents non produits :\n" + "\n".join(lot.erreurs) + "\n"
            archive.writestr(zipfile.ZipInfo("ERREURS.txt", date_time=horodatage), texte.encode())
    yield flux.vider()


def lots_visibles(user):
    qs = (
        ExportLot.objects.select_related("session", "division", "demande_par")
        .defer("fusion", "cles")
        .annotate(a_fusion=ExpressionWrapper(Q(fusion__isnull=False), output_field=BooleanField()))
    )
    return qs if user.has_perm("examens.voir_tout") else qs.filter(demande_par=user)


def purger_exports(jours: int = CONSERVATION_EXPORTS_JOURS) -> int:
    """Supprime les lots (et leurs fichiers) demandés il y a plus de `jours` jours ; les documents émis restent."""
    limite = timezone.now() - datetime.timedelta(days=jours)
    nombre, _ = ExportLot.objects.filter(demande_le__lt=limite).delete()
    return nombre
