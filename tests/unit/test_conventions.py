"""Guards for the project's own conventions."""
from __future__ import annotations

import ast
import re
from functools import partial
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py") if {"streamlit", "streamlit_authenticator"} & _imports(p)]
    assert offenders == [], f"core/ must not import streamlit: {offenders}"


def test_pages_do_no_sql() -> None:
    """Pages call services; SQL and models stay in core/."""
    offenders = []
    for p in (ROOT / "pages").glob("*.py"):
        text = p.read_text(encoding="utf-8")
        if "sqlalchemy" in _imports(p) or "core.store.models" in text or re.search(r"\bselect\(", text):
            offenders.append(p.name)
    assert offenders == [], f"pages must not do SQL: {offenders}"


def test_every_page_file_is_registered_in_the_router() -> None:
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    missing = [p.name for p in (ROOT / "pages").glob("*.py") if f'"pages/{p.name}"' not in app]
    assert missing == []


def test_requirements_are_pinned() -> None:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert "==" in line, f"pin {line!r} to an exact version"


def test_no_secrets_file_is_tracked() -> None:
    gitignore = (ROOT / ".gitignore").read_text()
    assert ".streamlit/secrets.toml" in gitignore


# The sharing rule's words: the Sharing constants, the limits' literal names, and comparisons of a dataset's limit.
SHARING_RULE = re.compile(r"\bSharing\.(FULL|INTEREST|OWNER)\b|[\"'](?:interest|owner)-only[\"']|\.sharing\s*[!=]=")
# Where the rule may be written: the one model of "may see", the one of "may do", the vocabulary, and the demo's
# data (a dataset spec names its limit; it applies no rule).
SHARING_RULE_HOMES = {"core/visibility.py", "core/permissions.py", "core/domain.py", "core/demo_catalogue.py"}


def sharing_rule_outside_its_home(path: Path, text: str) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    if rel in SHARING_RULE_HOMES:
        return []
    return [f"{rel}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), start=1) if SHARING_RULE.search(line)]


def test_the_sharing_rule_is_written_once() -> None:
    """Who may see a dataset's records is decided in core/visibility.py; a second statement of it drifts (the last
    round found it restated in seven places, leaking in several)."""
    files = [*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py"), *ROOT.joinpath("ui").glob("*.py"),
             ROOT / "app.py"]
    offenders = [hit for p in files for hit in sharing_rule_outside_its_home(p, p.read_text(encoding="utf-8"))]
    assert offenders == [], "the sharing rule belongs in core/visibility.py:\n" + "\n".join(offenders)


@pytest.mark.parametrize("line", [
    "if ds.sharing == 'full' or ds.agency_id == me:",
    "q.where(Dataset.sharing != Sharing.OWNER.value)",
    "visible = [d for d in ds if d.sharing != \"owner-only\"]",
])
def test_the_sharing_rule_check_catches_a_restatement(line: str) -> None:
    fake = ROOT / "core" / "services" / "somewhere.py"
    assert sharing_rule_outside_its_home(fake, line)


# --- Markdown injection -------------------------------------------------------------------------------------
# The rule: in pages/, ui/ and app.py, every argument Streamlit renders as Markdown (below) is text written in
# the code or escaped by ui.text.escape_md. The allow-list (markdown_safe) is literals; f-strings whose values are
# allowed; escape_md(...); len(...) and int(...); values with a number or date format spec ({n:,} {d:%d %b});
# UPPER_CASE constants and their items; `a if c else b`, `a + b`, lists and tuples of allowed parts; list(),
# tuple(), sorted(), .keys(), .values() of an allowed value; a name every binding of which in the file is allowed.
# Streamlit 1.67 renders Markdown in these calls' text: which positional arguments and keywords hold it.
# Option labels of radio, pills and segmented_control render Markdown too (selectbox and multiselect options
# do not). Every element's and column_config's `help` tooltip renders Markdown.
_BODY = ((0,), ("body",))
_LABEL = ((0,), ("label",))
MARKDOWN_ARGS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    **dict.fromkeys(("markdown", "title", "header", "subheader", "caption", "info", "warning", "error", "success",
                     "toast", "exception"), _BODY),
    "write": ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), ()),
    **dict.fromkeys(("expander", "popover", "badge", "button", "download_button", "link_button", "form_submit_button",
                     "checkbox", "toggle", "radio", "segmented_control", "pills", "selectbox", "multiselect",
                     "select_slider", "slider", "text_input", "text_area", "number_input", "date_input", "time_input",
                     "datetime_input", "file_uploader", "camera_input", "audio_input", "color_picker", "feedback",
                     "menu_button", "status"), _LABEL),
    "metric": ((0, 1, 2), ("label", "value", "delta")),
    "tabs": ((0,), ("tabs",)),
    "page_link": ((1,), ("label",)),
    "progress": ((1,), ("text",)),
    "spinner": ((0,), ("text",)),
    "dialog": ((0,), ("title",)),
    "update": ((), ("label",)),  # st.status(...).update(label=...)
}
MARKDOWN_OPTIONS = {"radio", "segmented_control", "pills"}  # their options (and format_func) render Markdown
ALWAYS_MARKDOWN_KEYWORDS = ("help", "captions")
# Format specs that only numbers (",", "_", or a numeric presentation type) or dates and times (strftime
# directives) accept: str.format raises ValueError for a str with any of them, so the value is not text.
NUMBER_SPEC = re.compile(r"[<>=^]?[+\- ]?#?0?\d*[,_]?(\.\d+)?[bdeEfFgGnoxX%]|[<>=^]?[+\- ]?#?0?\d*[,_](\.\d+)?")
DATE_SPEC = re.compile(r"(?:%[A-Za-z]|[^%{}])*%[A-Za-z](?:%[A-Za-z]|[^%{}])*")


def _constant_name(name: str) -> bool:
    """UPPER_CASE: by this project's convention a constant written in the code (TIERS, SHARING_HELP, MIXED_WARNING)."""
    return name.lstrip("_").isupper()


def _safe_spec(node: ast.FormattedValue) -> bool:
    spec = node.format_spec
    if node.conversion != -1 or not isinstance(spec, ast.JoinedStr) or not all(isinstance(v, ast.Constant) for v in spec.values):
        return False
    text = "".join(str(v.value) for v in spec.values)  # type: ignore[union-attr]
    return bool(NUMBER_SPEC.fullmatch(text) or DATE_SPEC.fullmatch(text))


def markdown_safe(node: ast.AST, safe_names: frozenset[str] = frozenset()) -> bool:
    """Whether `node` can only produce text written in the code, or escaped text.

    Allowed: string (and other) literals; f-strings whose every interpolated value is allowed or has a number
    or date format spec; a call to escape_md; len(...) and int(...); UPPER_CASE constants (names or attributes, and their
    items: text written in the code, e.g. TIERS[t]); `a if c else b` and `a + b` of allowed parts; lists and
    tuples of allowed items; list(), tuple(), sorted(), .keys(), .values() of an allowed value. Nothing else:
    a name, an attribute, an item or any other call holds data until escaped, except a name all of whose
    bindings in the file are allowed (`safe_names`, see _names_of_code_text).
    """
    ok = partial(markdown_safe, safe_names=safe_names)
    match node:
        case ast.Constant():
            return True
        case ast.JoinedStr(values=values):
            return all(isinstance(v, ast.Constant) or _safe_spec(v) or ok(v.value) and v.conversion == -1 and v.format_spec is None
                       for v in values)  # type: ignore[union-attr]
        case ast.Call(func=ast.Name(id="escape_md") | ast.Attribute(attr="escape_md")):
            return True
        case ast.Call(func=ast.Name(id="len" | "int"), args=[_]):
            return True
        case ast.Call(func=ast.Name(id="rag_badge" | "rag_html")):  # ui/rag.py: words and colours from its tables
            return True
        case ast.Call(func=ast.Name(id="card_html" | "agenda_label")):  # ui/presenter.py escapes every value (test_presenter)
            return True
        case ast.Call(func=ast.Name(id="list" | "tuple" | "sorted"), args=[arg], keywords=[]):
            return ok(arg)
        case ast.Call(func=ast.Attribute(value=value, attr="keys" | "values"), args=[]):
            return ok(value)
        case ast.Name(id=name):
            return name in safe_names or _constant_name(name)
        case ast.Attribute(attr=attr):
            return _constant_name(attr)
        case ast.Subscript(value=value):
            return ok(value)
        case ast.IfExp(body=body, orelse=orelse):
            return ok(body) and ok(orelse)
        case ast.BinOp(left=left, op=ast.Add(), right=right):
            return ok(left) and ok(right)
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return all(ok(e) for e in elts)
        case ast.ListComp(elt=elt, generators=generators):
            names = {n.id for g in generators if ok(g.iter) for n in ast.walk(g.target) if isinstance(n, ast.Name)}
            return markdown_safe(elt, safe_names | names)
    return False


def _option_labels_safe(call: ast.Call, options: ast.AST | None, safe_names: frozenset[str]) -> bool:
    """Options of radio, pills and segmented_control: allowed themselves, and a format_func that is escape_md or
    a lambda giving allowed text (its argument counts as allowed when the options are)."""
    fmt = next((k.value for k in call.keywords if k.arg == "format_func"), None)
    options_safe = options is None or markdown_safe(options, safe_names)
    match fmt:
        case None:
            return options_safe
        case ast.Name(id="escape_md") | ast.Attribute(attr="escape_md"):
            return True
        case ast.Lambda(args=args, body=body):
            params = frozenset(a.arg for a in args.args) if options_safe else frozenset()
            return markdown_safe(body, safe_names - {a.arg for a in args.args} | params)
    return False


def _bindings(tree: ast.AST) -> dict[str, list[ast.AST | None]]:
    """Every value each name is bound to in the file (None: bound to something not known from the code)."""
    bound: dict[str, list[ast.AST | None]] = {}

    def bind(target: ast.AST, value: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            bound.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            parts = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) else None
            for i, t in enumerate(target.elts):
                bind(t, parts[i] if parts else None)

    seen: set[int] = set()  # the Name nodes bound above
    for node in ast.walk(tree):
        targets: list[tuple[ast.AST, ast.AST | None]] = []
        if isinstance(node, ast.Assign):
            targets = [(t, node.value) for t in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [(node.target, node.value)]
        elif isinstance(node, ast.For) and isinstance(node.iter, (ast.Tuple, ast.List)):
            targets = [(node.target, item) for item in node.iter.elts]  # a loop over a literal: each item in turn
        for target, value in targets:
            bind(target, value)
            seen |= {id(n) for n in ast.walk(target) if isinstance(n, ast.Name)}
    for node in ast.walk(tree):  # any other binding holds data: parameters, imports, loops, with, :=, except
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and id(node) not in seen:
            bound.setdefault(node.id, []).append(None)
        elif isinstance(node, ast.arg):
            bound.setdefault(node.arg, []).append(None)
        elif isinstance(node, ast.alias):
            bound.setdefault((node.asname or node.name).split(".")[0], []).append(None)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.setdefault(node.name, []).append(None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.setdefault(node.name, []).append(None)
    return bound


def _names_of_code_text(tree: ast.AST) -> frozenset[str]:
    """Names every binding of which (anywhere in the file) is itself allowed: `label = "A" if x else "B"`."""
    bound, safe = _bindings(tree), frozenset[str]()
    while True:
        more = frozenset(n for n, values in bound.items() if all(v is not None and markdown_safe(v, safe) for v in values))
        if more == safe:
            return safe
        safe = more


def markdown_injections(source: str) -> list[str]:
    """Every Markdown-rendering argument in `source` that may carry unescaped data, as 'line: call(...)'."""
    found = []
    tree = ast.parse(source)
    safe_names = _names_of_code_text(tree)
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        positions, keywords = MARKDOWN_ARGS.get(name, ((), ()))
        args = [a for i, a in enumerate(call.args) if i in positions and not isinstance(a, ast.Starred)]
        args += [k.value for k in call.keywords if k.arg in keywords or k.arg in ALWAYS_MARKDOWN_KEYWORDS]
        unsafe = [a for a in args if not markdown_safe(a, safe_names)]
        if name in MARKDOWN_OPTIONS:
            options = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "options"), None)
            if options is not None and options in unsafe:
                unsafe.remove(options)
            if not _option_labels_safe(call, options, safe_names):
                unsafe.append(options or call)
        found += [f"{a.lineno}: {name}(... {ast.unparse(a)[:90]} ...)" for a in unsafe]
    return found


def test_markdown_injection_is_caught() -> None:
    """The checker flags data reaching Markdown and lets literals, escaped values, numbers and dates through."""
    flagged = [
        'st.markdown(f"**{name}**")', "st.write(d['text'])", "st.title(d['premises'])", "c1.metric(label, n)",
        'st.error(str(exc))', 'st.expander(f"Retire {m[\'subject\']}")', 'st.tabs([name, "Other"])',
        'st.page_link("pages/x.py", label=f"Open {title}")', 'st.button("Go", help=f"{agency} only")',
        'st.radio("Tier", options, format_func=lambda t: f"{t}")', 'st.radio("Pick", ["a", "b"], format_func=lambda t: names[t])',
        'bar.progress(0.5, text=m)', 'status.update(label=m)', 'st.info(", ".join(names))', 'st.toast(f"{n!r}")',
        'st.caption(f"{when:>10}")', 'st.markdown("**Where:** " + place)', 'st.warning(f"{x:.3}")',
        '@st.dialog(title)\ndef f(): pass', 'st.markdown(f"{name or \'none\'}")', 'st.radio("x", OPTIONS, format_func=str)',
        'st.success(escape(x))', 'st.subheader(f"{a}{escape_md(b)}")',
        'label = "A" if x else name\nst.button(label)', 'for label in names:\n    st.button(label)',
        'label = "A"\nfor label in rows:\n    pass\nst.checkbox(label)', 'def f(label):\n    st.toggle(label)',
        'for c, label in ((c1, "A"), (c2, name)):\n    c.button(label)', 'st.metric("N", float(x))',
    ]
    for snippet in flagged:
        assert markdown_injections(snippet), f"not flagged: {snippet}"
    allowed = [
        'st.markdown("**Literal** text")', 'st.markdown(f"**{escape_md(name)}**")', 'st.caption(f"{len(rows)} rows")',
        'st.caption(f"due {d:%d %b %Y} · {n:,} rows · {share:.0%} · {x:d}")', "st.write(escape_md(text, multiline=True))",
        'st.radio("Tier", list(TIERS), format_func=lambda t: f"{t}: {TIERS[t]}")', 'st.caption(risk.SCORE_FORMULA + " more")',
        'st.button(f"Apply {n:d} decision{\'s\' if n != 1 else \'\'} now")', 'st.tabs(["List", "Charts"])',
        'st.selectbox("Agency", ids, format_func=names.get)', 'st.radio("x", ["a", "b"], captions=[HELP[o] for o in ["a", "b"]])',
        'st.text(name)', 'st.code(name)', 'st.dataframe(frame)', 'st.metric("Visits", f"{n:d}")',
        'label = "A" if x else "B"\nst.button(f"{label} {escape_md(name)}")', 'st.metric("Done", int(n))',
        'for c, a, label in ((c1, "x", "Confirm"), (c2, "y", "Decline")):\n    c.button(label)',
        'st.markdown(f"{rag_badge(d[\'rag\'])} · due")',
    ]
    for snippet in allowed:
        assert not markdown_injections(snippet), f"flagged: {snippet}: {markdown_injections(snippet)}"


def test_user_text_reaches_markdown_only_escaped() -> None:
    """Pages, ui/ and app.py pass data to Markdown-rendering calls and labels only through ui.text.escape_md."""
    offenders = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        offenders += [f"{path.relative_to(ROOT)}:{hit}" for hit in markdown_injections(path.read_text(encoding="utf-8"))]
    assert offenders == [], "wrap data shown through Markdown in ui.text.escape_md:\n" + "\n".join(offenders)


# Building blocks that add to the caller's unit of work rather than serve a user's action.
SESSION_BUILDING_BLOCKS = {("core/services/audit.py", "record")}


def test_every_service_takes_a_unit_of_work_then_the_actor_by_name() -> None:
    """One service signature, `(uow, *, actor, ...)`: a page (or a test) calls every service the same way, and the
    service commits the user's action itself."""
    offenders = []
    for path in [*sorted(ROOT.joinpath("core", "services").glob("*.py")), ROOT / "core" / "visits" / "exports.py"]:
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_") or (rel, node.name) in SESSION_BUILDING_BLOCKS:
                continue
            positional = [a.arg for a in node.args.posonlyargs + node.args.args]
            keyword = [a.arg for a in node.args.kwonlyargs]
            if "actor" in positional + keyword and (positional != ["uow"] or keyword[:1] != ["actor"]):
                offenders.append(f"{rel}:{node.lineno} {node.name}({', '.join(positional)}, *, {', '.join(keyword)})")
    assert offenders == [], "services take (uow, *, actor, ...):\n" + "\n".join(offenders)


def test_no_multiselect_selects_every_match_on_enter() -> None:
    """Streamlit's multiselect ticks every option matching the typed text on Enter unless select_all=False:
    "workers" then Enter sent a referral to 9 agencies (issue 17 bug 1). Enter picks one option everywhere."""
    offenders = []
    for p in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "multiselect":
                kw = {k.arg: k.value for k in node.keywords}
                if not (isinstance(kw.get("select_all"), ast.Constant) and kw["select_all"].value is False):
                    offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], f"pass select_all=False: {offenders}"


def test_no_screen_depends_on_an_emoji_font() -> None:
    """Emoji render as empty boxes in a browser without an emoji font (Debian's Chromium, a council's locked-down
    PC): RAG is a word on its colour (ui/rag.py), icons are Material symbols (':material/warning:')."""
    emoji = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")  # FE0F: "draw as emoji"
    offenders = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and emoji.search(node.value) \
                    and id(node) not in docstrings:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:40]!r}")
    assert offenders == [], offenders
