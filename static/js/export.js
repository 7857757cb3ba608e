// Formulaire d'export : n'affiche que les choix utiles au type de documents (division, épreuve, PDF unique).
(function () {
  const form = document.getElementById("form-export");
  if (!form) return;
  function majChamps() {
    const type = (form.querySelector('input[name="type"]:checked') || {}).value || "";
    form.querySelectorAll("[data-pour]").forEach((bloc) => {
      const visible = bloc.dataset.pour.split(" ").includes(type);
      bloc.hidden = !visible;
      bloc.querySelectorAll("select, input").forEach((champ) => { champ.disabled = !visible; });
    });
  }
  form.addEventListener("change", (e) => { if (e.target.name === "type") majChamps(); });
  majChamps();
})();
