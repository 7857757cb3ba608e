"""Documents de l'organisation du CCF : convocations, feuille d'émargement (PDF), calendrier d'un membre (ICS).

Ce sont des documents de travail, re-rendus à chaque demande (un passage déplacé change la convocation) ;
ils ne sont pas des documents émis (DocumentEmis), qui restent les relevés et procès-verbaux.
"""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

from django.conf import settings

from agora import pdf
from agora.format import jour_fr
from examens.organisation.durees import texte_duree
from examens.organisation.models import Passage, Situation


def _heure(t: datetime.time | None) -> str:
    return f"{t.hour} h {t.minute:02d}" if t else "à fixer"


def _date(d: datetime.date | None) -> str:
    return jour_fr(d) or "à fixer"


def _membres(situation: Situation) -> list[str]:
    return [u.get_full_name() or u.username for u in situation.membres.all()]


def donnees_convocation(passage: Passage) -> dict:
    s, c = passage.situation, passage.candidat
    commission = s.commission
    return {
        "titre": f"Convocation {commission.gabarit.epreuve} · {c.nom} {c.prenom}",
        "reference": f"CCF-{commission.session.annee}-{commission.gabarit.epreuve}-{c.numero}",
        "pied": f"{commission.etablissement.nom} · session {commission.session.annee}",
        "epreuve": commission.gabarit.epreuve,
        "intitule": commission.gabarit.intitule,
        "situation": s.numero,
        "situations": commission.gabarit.situations,
        "rattrapage": s.rattrapage,
        "candidat": {
            "nom": c.nom,
            "prenom": c.prenom,
            "numero": c.numero,
            "division": c.division.nom if c.division else "",
        },
        "etablissement": commission.etablissement.nom,
        "session": commission.session.annee,
        "date": _date(s.date),
        "heure": _heure(passage.debut),
        "fin": _heure(passage.fin),
        "duree": texte_duree(passage.duree),
        "salle": s.salle or "à fixer",
        "membres": _membres(s),
        "amenagements": passage.amenagements,
    }


def convocation(passage: Passage) -> pdf.Rendu:
    return pdf.rendre("pdf/convocation.html", {"d": donnees_convocation(passage)})


def convocations_fusionnees(passages: list[Passage]) -> bytes:
    """Un PDF unique pour la division : les convocations bout à bout (pypdf), dans l'ordre des passages."""
    from pypdf import PdfWriter

    sortie = PdfWriter()
    for p in passages:
        sortie.append(io.BytesIO(convocation(p).contenu))
    tampon = io.BytesIO()
    sortie.write(tampon)
    return tampon.getvalue()


def emargement(situation: Situation) -> pdf.Rendu:
    commission = situation.commission
    passages = list(situation.passages.select_related("candidat__division").order_by("debut", "candidat__nom"))
    d = {
        "titre": f"Feuille d'émargement {commission.gabarit.epreuve} · {_date(situation.date)}",
        "reference": f"EM-{commission.session.annee}-{commission.gabarit.epreuve}-{situation.pk}",
        "pied": f"{commission.etablissement.nom} · session {commission.session.annee}",
        "epreuve": commission.gabarit.epreuve,
        "intitule": commission.gabarit.intitule,
        "situation": situation.numero,
        "rattrapage": situation.rattrapage,
        "date": _date(situation.date),
        "salle": situation.salle or "à fixer",
        "etablissement": commission.etablissement.nom,
        "membres": _membres(situation),
        "passages": [
            {
                "heure": _heure(p.debut),
                "duree": texte_duree(p.duree),
                "nom": f"{p.candidat.nom} {p.candidat.prenom}",
                "numero": p.candidat.numero,
                "division": p.candidat.division.nom if p.candidat.division else "",
                "amenagements": p.amenagements,
                "presence": "" if p.presence == Passage.Presence.A_MARQUER else p.get_presence_display(),
            }
            for p in passages
        ],
    }
    return pdf.rendre("pdf/emargement.html", {"d": d})


def calendrier_ics(user, situations: list[Situation]) -> bytes:
    """Le calendrier d'un membre : un événement par passage daté (RFC 5545, heure de Paris)."""
    from icalendar import Calendar, Event

    zone = ZoneInfo(settings.TIME_ZONE)
    cal = Calendar()
    cal.add("prodid", "-//AGOrA Examens//Organisation du CCF//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"CCF · {user.get_full_name() or user.username}")
    for s in situations:
        for p in s.passages.all():
            if s.date is None or p.debut is None:
                continue
            debut = datetime.datetime.combine(s.date, p.debut, tzinfo=zone)
            e = Event()
            e.add("uid", f"passage-{p.pk}@agora-examens")
            e.add("dtstamp", datetime.datetime.now(tz=zone))
            e.add("dtstart", debut)
            e.add("dtend", debut + datetime.timedelta(minutes=p.duree))
            e.add("summary", f"{s.commission.gabarit.epreuve} · {p.candidat.nom} {p.candidat.prenom}")
            e.add("location", s.salle)
            if p.amenagements:
                e.add("description", f"Aménagements : {p.amenagements}")
            cal.add_component(e)
    return cal.to_ical()
