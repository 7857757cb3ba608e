from django import forms

from examens import regles
from examens.imports import COLONNES_CANDIDATS, COLONNES_CANDIDATS_FACULTATIVES, valider_candidat
from examens.models import Candidat, Epreuve, Statut
from examens.services import reglement_pour

LANGUES = [
    ("en", "anglais"),
    ("es", "espagnol"),
    ("de", "allemand"),
    ("it", "italien"),
    ("pt", "portugais"),
    ("ar", "arabe"),
    ("zh", "chinois"),
    ("ru", "russe"),
    ("nl", "néerlandais"),
]


class CandidatForm(forms.Form):
    """Mêmes règles que l'import (examens.imports.valider_candidat) ; chaque erreur va à côté de son champ."""

    numero_candidat = forms.CharField(label="Numéro de candidat", max_length=20)
    nom = forms.CharField(max_length=100)
    prenom = forms.CharField(label="Prénom", max_length=100)
    date_naissance = forms.CharField(label="Date de naissance", help_text="JJ/MM/AAAA", max_length=10)
    uai = forms.CharField(label="UAI de l'établissement", max_length=8)
    division = forms.CharField(max_length=50, required=False)
    statut = forms.ChoiceField(choices=Statut.choices)
    forme = forms.ChoiceField(choices=Candidat.Forme.choices)
    lv1 = forms.CharField(label="LV1 (code ISO 639-1)", max_length=2, help_text="ex. en, es, de")
    lv2 = forms.CharField(label="LV2 (code ISO 639-1)", max_length=2)
    facultatives = forms.CharField(
        label="Unités facultatives",
        required=False,
        max_length=30,
        help_text="jusqu'à deux parmi LV:<code>, MOBILITE, EPS, séparées par |",
    )
    duree_cycle = forms.ChoiceField(label="Durée du cycle", choices=[("3", "3 ans"), ("2", "2 ans")], initial="3")
    positionnement_semaines = forms.CharField(label="PFMP fixée par positionnement (semaines)", required=False)
    titre_dispense = forms.ChoiceField(
        label="Titre donnant droit à dispense",
        required=False,
        choices=[("", "aucun"), *Candidat._meta.get_field("titre_dispense").choices],
        help_text="D337-71 : le diplôme qui permet de dispenser des unités (DIS)",
    )
    positionnement_date = forms.CharField(
        label="Date de la décision de positionnement", required=False, max_length=10, help_text="JJ/MM/AAAA"
    )
    chef_oeuvre = forms.DecimalField(
        label="Note de chef-d'œuvre", required=False, min_value=0, max_value=20, decimal_places=2, localize=True
    )

    def __init__(self, *args, annee: int, instance: Candidat | None = None, **kwargs):
        self.annee, self.instance = annee, instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "numero_candidat": instance.numero,
                "nom": instance.nom,
                "prenom": instance.prenom,
                "date_naissance": instance.date_naissance.strftime("%d/%m/%Y"),
                "uai": instance.etablissement.uai,
                "division": instance.division.nom if instance.division else "",
                "statut": instance.statut,
                "forme": instance.forme,
                "lv1": instance.lv1,
                "lv2": instance.lv2,
                "facultatives": "|".join(f for f in (instance.facultative1, instance.facultative2) if f),
                "duree_cycle": str(instance.duree_cycle),
                "positionnement_semaines": str(instance.positionnement_semaines or "").replace(".", ","),
                "titre_dispense": instance.titre_dispense,
                "positionnement_date": instance.positionnement_date.strftime("%d/%m/%Y")
                if instance.positionnement_date
                else "",
                "chef_oeuvre": instance.chef_oeuvre,
            }
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["numero_candidat"].disabled = True
        reglement = instance.session.reglement if instance is not None else reglement_pour(annee)
        if reglement is None or "coefficient_chef_oeuvre" not in reglement.regles:
            del self.fields["chef_oeuvre"]  # réforme postérieure : seulement si la version du règlement la définit

    def clean(self):
        donnees = super().clean()
        valeurs = {k: str(donnees.get(k) or "") for k in COLONNES_CANDIDATS + COLONNES_CANDIDATS_FACULTATIVES}
        valeurs["numero_candidat"] = donnees.get("numero_candidat", "")
        self.propre, messages = valider_candidat(valeurs, self.annee)
        for message in messages:
            champ = message.split(" ", 1)[0].split(":")[0]
            champ = {"UAI": "uai"}.get(champ, champ)
            self.add_error(champ if champ in self.fields else None, message)
        return donnees


class MotifForm(forms.Form):
    # Messages du serveur, en français, affichés sous le champ (la page n'a pas d'attribut « required »).
    motif = forms.CharField(
        label="Motif",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Indiquez le motif : toute décision du jury est motivée."},
    )


class NoteJuryForm(MotifForm):
    unite = forms.CharField(max_length=5, error_messages={"required": "Choisissez l'unité dont la note change."})
    note = forms.CharField(
        label="Nouvelle note",
        max_length=6,
        help_text="ex. 12,5 ; ABS ; ABJ ; DIS ; NV",
        error_messages={"required": "Saisissez la nouvelle note (ex. 12,5 ; ABS ; ABJ ; DIS ; NV)."},
    )
    groupe = forms.IntegerField(min_value=1, max_value=2, initial=1, widget=forms.HiddenInput)

    def clean_note(self):
        """Le format et l'échelle dès le formulaire (même règle que la porte des notes) : une note hors de 0–20
        et un motif oublié se signalent ensemble, chacun sous son champ. Le texte saisi passe tel quel au service."""
        texte = self.cleaned_data["note"]
        try:
            regles.parser_note(texte)
        except regles.NoteInvalide as e:
            raise forms.ValidationError(str(e)) from None
        return texte


class PointsJuryForm(MotifForm):
    points = forms.DecimalField(
        label="Points du jury",
        min_value=0,
        max_value=20,
        decimal_places=2,
        localize=True,
        error_messages={
            "required": "Saisissez les points du jury, de 0 à 20 (0 pour les retirer).",
            "invalid": "Saisissez un nombre de points, par exemple 1,5.",
        },
    )


class ControleForm(forms.Form):
    """Une unité par sous-groupe de l'épreuve de contrôle : les choix viennent des épreuves du règlement."""

    controle_scientifique = forms.ChoiceField(
        label="Unité du premier sous-groupe", widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )
    controle_francais_hg = forms.ChoiceField(
        label="Unité du second sous-groupe", widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )

    def __init__(self, *args, reglement, **kwargs):
        super().__init__(*args, **kwargs)
        epreuves = Epreuve.objects.filter(reglement=reglement, unite__isnull=False).exclude(groupe_controle="")
        for champ, groupe in (("controle_scientifique", "scientifique"), ("controle_francais_hg", "francais_hg")):
            self.fields[champ].choices = [
                (e.unite.code, f"{e.unite.code} {e.intitule}")
                for e in epreuves.select_related("unite").order_by("ordre")
                if e.groupe_controle == groupe
            ]


class ImportForm(forms.Form):
    TYPES = [("candidats", "Candidats"), ("notes", "Notes")]
    type = forms.ChoiceField(label="Contenu du fichier", choices=TYPES)
    fichier = forms.FileField(
        label="Fichier CSV (UTF-8 ou Windows-1252, séparateur « ; » ou « , ») ou XLSX",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        if fichier.size > 5 * 1024 * 1024:
            raise forms.ValidationError("Fichier trop volumineux : 5 Mo au plus.")
        if not fichier.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError("Format refusé : un fichier .csv ou .xlsx est attendu.")
        return fichier
