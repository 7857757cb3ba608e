"""Formulaires des échéances et des réouvertures : dates JJ/MM/AAAA et heures hh:mm en texte (un clavier de
tablette, aucun sélecteur qui suit la langue du système), portée en une seule liste."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from examens import perimetre, selectors
from examens.echeances.models import Nature
from examens.models import Candidat

DATE = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "JJ/MM/AAAA", "inputmode": "numeric", "size": 10})
HEURE = forms.TimeInput(format="%H:%M", attrs={"placeholder": "hh:mm", "inputmode": "numeric", "size": 5})


def choix_portee(session) -> list[tuple[str, str]]:
    """« » toutes les unités, « nature:ccf », « nature:ponctuel », puis « unite:U11 »… dans l'ordre du règlement."""
    return [
        ("", "toutes les unités"),
        *((f"nature:{valeur}", libelle) for valeur, libelle in Nature.choices),
        *(
            (f"unite:{e.unite.code}", f"{e.unite.code} — {e.intitule[:60]}")
            for e in selectors.epreuves_notees(session.reglement)
        ),
    ]


def valeur_portee(objet) -> str:
    if objet.unite:
        return f"unite:{objet.unite}"
    return f"nature:{objet.nature}" if objet.nature else ""


class _PorteeForm(forms.Form):
    portee = forms.ChoiceField(label="Portée", required=False)
    etablissement = forms.ModelChoiceField(
        queryset=None, label="Établissement", required=False, empty_label="tous les établissements"
    )

    champ_date = "date"

    def __init__(self, *args, session, utilisateur, instance=None, **kwargs):
        self.session, self.utilisateur = session, utilisateur
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initiales(instance)
        super().__init__(*args, **kwargs)
        self.fields["portee"].choices = choix_portee(session)
        # Les établissements de ses académies (l'administrateur : tous) ; « tous » reste à l'administrateur.
        self.fields["etablissement"].queryset = perimetre.etablissements_organisables(utilisateur)
        for champ in self.fields.values():
            if isinstance(champ.widget, forms.CheckboxInput):
                champ.widget.attrs.setdefault("class", "form-check-input")
            else:
                classe = "form-select" if isinstance(champ.widget, forms.Select) else "form-control"
                champ.widget.attrs.setdefault("class", classe)

    def initiales(self, instance) -> dict:
        local = timezone.localtime(getattr(instance, self.champ_instant))
        return {
            "portee": valeur_portee(instance),
            "etablissement": instance.etablissement_id,
            "date": local.date(),
            "heure": local.time().replace(second=0, microsecond=0),
        }

    def instant(self) -> datetime.datetime | None:
        jour, heure = self.cleaned_data.get("date"), self.cleaned_data.get("heure")
        if jour is None or heure is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(jour, heure))

    def donnees(self) -> dict:
        """Les valeurs à passer au service : unité OU nature, établissement, instant."""
        genre, _, code = self.cleaned_data["portee"].partition(":")
        return {
            "unite": code if genre == "unite" else "",
            "nature": code if genre == "nature" else "",
            "etablissement": self.cleaned_data["etablissement"],
        }


class EcheanceForm(_PorteeForm):
    date = forms.DateField(label="Saisie close le (JJ/MM/AAAA)", input_formats=["%d/%m/%Y"], widget=DATE)
    heure = forms.TimeField(label="à (hh:mm)", input_formats=["%H:%M", "%Hh%M", "%H h %M"], widget=HEURE)

    champ_instant = "fermee_le"

    def donnees(self) -> dict:
        return {**super().donnees(), "fermee_le": self.instant()}


class ReouvertureForm(_PorteeForm):
    candidat = forms.CharField(
        label="Un seul candidat (numéro, facultatif)",
        required=False,
        max_length=20,
        help_text="Vide : toute la portée.",
    )
    beneficiaires = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        label="Personnes nommées",
        help_text="Seules ces personnes peuvent saisir pendant la réouverture.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    date = forms.DateField(label="Jusqu'au (JJ/MM/AAAA)", input_formats=["%d/%m/%Y"], widget=DATE)
    heure = forms.TimeField(label="à (hh:mm)", input_formats=["%H:%M", "%Hh%M", "%H h %M"], widget=HEURE)
    motif = forms.CharField(label="Motif", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    proposition_seulement = forms.BooleanField(
        label="Proposition seulement (les notes saisies attendent la validation de la division des examens)",
        required=False,
    )

    champ_instant = "fin"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        utilisateurs = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
        self.fields["beneficiaires"].queryset = utilisateurs
        self.fields["beneficiaires"].label_from_instance = lambda u: (
            f"{u.get_full_name()} ({u.username})" if u.get_full_name() else u.username
        )

    def initiales(self, instance) -> dict:
        return {
            **super().initiales(instance),
            "candidat": instance.candidat.numero if instance.candidat_id else "",
            "beneficiaires": list(instance.beneficiaires.all()),
            "motif": instance.motif,
            "proposition_seulement": instance.proposition_seulement,
        }

    def clean_candidat(self):
        numero = self.cleaned_data["candidat"].strip()
        if not numero:
            return None
        ecrivables = perimetre.candidats_ecrivables(self.utilisateur, Candidat.objects.filter(session=self.session))
        candidat = ecrivables.filter(numero=numero).first()
        if candidat is None:
            raise forms.ValidationError(f"Aucun candidat n° {numero} dans la session {self.session.annee}.")
        return candidat

    def clean_motif(self):
        motif = self.cleaned_data["motif"].strip()
        if not motif:
            raise forms.ValidationError("Le motif est obligatoire.")
        return motif

    def clean(self):
        donnees = super().clean()
        fin = self.instant()
        if fin is not None and fin <= timezone.now():
            self.add_error("date", "La fin de la réouverture doit être à venir.")
        candidat, etablissement = donnees.get("candidat"), donnees.get("etablissement")
        if candidat and etablissement and candidat.etablissement_id != etablissement.pk:
            self.add_error("candidat", "Ce candidat n'est pas inscrit dans l'établissement choisi.")
        return donnees

    def donnees(self) -> dict:
        return {
            **super().donnees(),
            "candidat": self.cleaned_data["candidat"],
            "beneficiaires": list(self.cleaned_data["beneficiaires"]),
            "fin": self.instant(),
            "motif": self.cleaned_data["motif"],
            "proposition_seulement": self.cleaned_data["proposition_seulement"],
        }


class RefusForm(forms.Form):
    motif = forms.CharField(
        label="Motif du refus", max_length=1000, widget=forms.TextInput(attrs={"class": "form-control"})
    )
