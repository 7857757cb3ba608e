"""Formulaires de l'organisation du CCF : planifier une division, déplacer un passage, aménagements."""

import datetime

from django import forms

from examens.ccf import notation
from examens.organisation.models import Amenagement
from examens.services import OperationRefusee

# Texte « hh:mm » plutôt que <input type=time> : le champ time suit la langue du système (« 05:00 PM »).
HEURE = forms.TimeInput(format="%H:%M", attrs={"placeholder": "hh:mm", "inputmode": "numeric", "size": 5})


def _lire_date(texte: str):
    try:
        return notation.lire_date(texte)
    except OperationRefusee:
        return None


class PlanificationForm(forms.Form):
    division = forms.ModelChoiceField(queryset=None, label="Division", empty_label=None)
    numero = forms.TypedChoiceField(label="Situation", coerce=int, choices=[(1, "Situation 1")])
    jours = forms.CharField(
        label="Journées",
        help_text="Par exemple : 12/03/2026, 13/03/2026.",
        max_length=400,
    )
    salles = forms.CharField(label="Salles", help_text="Par exemple : B12, B14.", max_length=300, initial="")
    debut = forms.TimeField(label="Début de journée", initial=datetime.time(8, 0), widget=HEURE)
    fin = forms.TimeField(label="Fin de journée", initial=datetime.time(17, 0), widget=HEURE)
    dejeuner_debut = forms.TimeField(
        label="Déjeuner de",
        initial=datetime.time(12, 0),
        required=False,
        widget=HEURE,
    )
    dejeuner_fin = forms.TimeField(label="à", initial=datetime.time(13, 30), required=False, widget=HEURE)
    pause = forms.IntegerField(label="Pause entre candidats (min)", initial=5, min_value=0, max_value=60)
    duree_ccf = forms.IntegerField(
        label="Durée en CCF (min)", min_value=5, max_value=480, help_text="Sans les aménagements, ajoutés à part."
    )

    def __init__(self, *args, commission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = commission.divisions.all()
        self.fields["numero"].choices = [(n, f"Situation {n}") for n in range(1, commission.gabarit.situations + 1)]
        for champ in self.fields.values():
            classe = "form-select" if isinstance(champ.widget, forms.Select) else "form-control"
            champ.widget.attrs.setdefault("class", f"{classe} form-control-sm" if classe == "form-control" else classe)

    def clean_jours(self):
        jours = []
        for morceau in self.cleaned_data["jours"].replace(",", " ").replace(";", " ").split():
            d = _lire_date(morceau)
            if d is None:
                raise forms.ValidationError(f"« {morceau} » n'est pas une date (jj/mm/aaaa).")
            jours.append(d)
        if not jours:
            raise forms.ValidationError("Indiquez au moins une journée.")
        if len(set(jours)) > 15:
            raise forms.ValidationError("Quinze journées au plus à la fois.")
        return sorted(set(jours))

    def clean_salles(self):
        salles = [s.strip()[:60] for s in self.cleaned_data["salles"].split(",") if s.strip()]
        if not salles:
            raise forms.ValidationError("Indiquez au moins une salle.")
        return list(dict.fromkeys(salles))

    def clean(self):
        donnees = super().clean()
        d, f = donnees.get("dejeuner_debut"), donnees.get("dejeuner_fin")
        if bool(d) != bool(f):
            raise forms.ValidationError("Indiquez le début et la fin de la pause déjeuner, ou aucun des deux.")
        if d and f and f <= d:
            raise forms.ValidationError("La pause déjeuner doit finir après avoir commencé.")
        return donnees


class DeplacementForm(forms.Form):
    date = forms.CharField(label="Date", max_length=10)
    debut = forms.TimeField(label="Heure", widget=HEURE)
    salle = forms.CharField(label="Salle", max_length=60)

    def clean_date(self):
        d = _lire_date(self.cleaned_data["date"])
        if d is None:
            raise forms.ValidationError("Date attendue au format jj/mm/aaaa.")
        return d


class AmenagementForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for champ in self.fields.values():
            if isinstance(champ.widget, forms.CheckboxInput):
                champ.widget.attrs["class"] = "form-check-input"
            else:
                champ.widget.attrs["class"] = (
                    "form-select" if isinstance(champ.widget, forms.Select) else "form-control"
                )

    class Meta:
        model = Amenagement
        fields = [
            "decision",
            "decision_date",
            "decision_reference",
            "temps_majore",
            "lecteur",
            "secretaire",
            "accompagnant",
            "materiel",
            "salle",
        ]
        widgets = {"decision_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ConformiteForm(forms.Form):
    conforme = forms.BooleanField(required=False)
    date = forms.CharField(required=False, max_length=10)
    observation = forms.CharField(required=False, max_length=300)

    def clean_date(self):
        texte = self.cleaned_data["date"]
        if not texte.strip():
            return None
        d = _lire_date(texte)
        if d is None:
            raise forms.ValidationError("Date de vérification attendue au format jj/mm/aaaa.")
        return d
