"""Formulaires des grilles CCF : ils valident et normalisent, les écritures sont dans examens/ccf/ (saisie, circuit)."""

from django import forms
from django.contrib.auth.models import User

from agora.roles import ENSEIGNANT
from examens import perimetre
from examens.ccf import notation
from examens.models import Division, GabaritGrille, MembreCommission


class ChoixUtilisateurs(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        nom = obj.get_full_name()
        return f"{nom} ({obj.username})" if nom else obj.username


class ChoixDivisions(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.nom} · {obj.etablissement.nom} · session {obj.session.annee}"


class CommissionForm(forms.Form):
    epreuve = forms.ChoiceField(label="Sous-épreuve")
    nom = forms.CharField(
        label="Nom de la commission", max_length=100, required=False, help_text="Facultatif, ex. « commission A »."
    )
    divisions = ChoixDivisions(queryset=Division.objects.none(), widget=forms.CheckboxSelectMultiple)
    enseignants = ChoixUtilisateurs(
        queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple, required=False, label="Enseignants"
    )
    professionnels = ChoixUtilisateurs(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Professionnels",
        help_text="E32 : professionnel des ressources humaines (il confirme la grille avec son propre compte).",
    )

    def __init__(self, *args, user, gabarits: dict[str, GabaritGrille], commission=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.gabarits = gabarits
        self.fields["epreuve"].choices = [(code, g.intitule) for code, g in sorted(gabarits.items())]
        divisions = Division.objects.select_related("etablissement", "session").order_by(
            "-session__annee", "etablissement__nom", "nom"
        )
        divisions = divisions.filter(etablissement__in=perimetre.etablissements_ecrivables(user))
        if commission is not None:
            divisions = divisions.filter(session=commission.session, etablissement=commission.etablissement)
            self.fields["epreuve"].disabled = True
        self.fields["divisions"].queryset = divisions
        personnes = User.objects.filter(is_active=True, groups__name=ENSEIGNANT).order_by("last_name", "username")
        self.fields["enseignants"].queryset = personnes
        self.fields["professionnels"].queryset = personnes

    def clean(self):
        donnees = super().clean()
        enseignants, professionnels = donnees.get("enseignants") or [], donnees.get("professionnels") or []
        if set(enseignants) & set(professionnels):
            self.add_error("professionnels", "Une même personne ne peut siéger qu'avec une seule qualité.")
        divisions = donnees.get("divisions") or []
        if len({(d.session_id, d.etablissement_id) for d in divisions}) > 1:
            self.add_error("divisions", "Choisissez des divisions d'un même établissement et d'une même session.")
        gabarit = self.gabarits.get(donnees.get("epreuve"))
        if gabarit and not self.errors:
            qualites = [MembreCommission.Qualite.ENSEIGNANT] * len(enseignants) + [
                MembreCommission.Qualite.PROFESSIONNEL
            ] * len(professionnels)
            if not notation.composition_admise(qualites, gabarit.compositions):
                self.add_error("enseignants", f"{gabarit.epreuve} : la commission réunit {gabarit.composition_texte}.")
        return donnees

    def membres(self) -> list[tuple[User, str]]:
        return [(u, MembreCommission.Qualite.ENSEIGNANT) for u in self.cleaned_data["enseignants"]] + [
            (u, MembreCommission.Qualite.PROFESSIONNEL) for u in self.cleaned_data["professionnels"]
        ]


class ArretForm(forms.Form):
    note = forms.CharField(
        label="Note arrêtée par le jury",
        max_length=8,
        required=False,
        help_text="Vide : la note proposée par la commission. Virgule ou point décimal.",
    )
    motif = forms.CharField(
        label="Motif (obligatoire si la note change)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )


class RenvoiForm(forms.Form):
    motif = forms.CharField(
        label="Motif du renvoi à la commission", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
