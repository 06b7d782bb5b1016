"""Read landing files into text tables that follow the input contract, losing nothing.

Every file of an entity is read by DuckDB as text. A record that cannot be parsed (wrong number
of fields, unterminated quote, invalid encoding, over-long line) is *kept*, with its raw text and
the reason in `_load_error`, so that staging can quarantine it. File-level problems that make a
file unreadable (a required column missing from the header, a file that is not in the declared
encoding) raise `LandingError` with a message naming the file and what to do.

A mapping file (YAML, see mappings/README.md) adapts a foreign export to the contract: file
glob, delimiter, quote, encoding, decimal mark, thousands separator, date format, column names,
constant defaults and SQL expressions over the export's own columns.
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import hashlib
import io
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from kam.contract import LINEAGE_COLUMNS, Entity, load_contract

RAW_RECORD_MAX_CHARS = 1000
SUPPORTED_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "utf-16": "utf-16",
}
_SAFE_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
#: Lines longer than this need a bigger DuckDB CSV buffer, else DuckDB drops them silently.
CSV_BUFFER_SAFE_LINE = 16 << 20
#: Bump when a change to this module changes the rows it makes of the same file: landing tables
#: loaded by an older version are then reloaded in full (see kam/landing_plugin.py).
LOADER_VERSION = "2"


class LandingError(Exception):
    """A landing file cannot be read as declared. The message says which file and what to do."""


@dataclass
class EntityMapping:
    """How one entity's files are read. The defaults describe the canonical contract format."""

    files: list[str] | None = None
    delimiter: str = ","
    quote: str = '"'
    encoding: str = "utf-8"
    decimal_mark: str = "."
    thousands_separator: str | None = None
    date_format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)


@dataclass
class FileReport:
    entity: str
    file: str
    file_format: str
    bytes: int
    sha256: str
    status: str
    rows_accepted: int = 0
    rows_rejected: int = 0
    unexpected_columns: str = ""
    message: str = ""


def load_mapping(path: str | Path | None) -> dict[str, EntityMapping]:
    """Parse a mapping file; an empty path means the canonical format for every entity."""
    if not path:
        return {}
    p = Path(path)
    if not p.is_file():
        raise LandingError(f"Mapping file {p} not found (set KAM_MAPPING to an existing file).")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LandingError(f"Mapping file {p} is not valid YAML: {exc}") from None
    entities = doc.get("entities") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(entities or {}, dict):
        raise LandingError(
            f"Mapping file {p}: expected `entities:` followed by one mapping "
            "per entity name (see mappings/README.md)."
        )
    contract = load_contract()
    out: dict[str, EntityMapping] = {}
    known = set(EntityMapping.__dataclass_fields__)
    for name, spec in (entities or {}).items():
        if name not in contract:
            raise LandingError(
                f"Mapping file {p}: unknown entity '{name}'; known entities: {', '.join(contract)}."
            )
        spec = spec or {}
        if not isinstance(spec, dict):
            raise LandingError(f"Mapping file {p}, entity {name}: expected a mapping of settings.")
        unknown = set(spec) - known
        if unknown:
            raise LandingError(
                f"Mapping file {p}, entity {name}: unknown setting(s) "
                f"{', '.join(sorted(unknown))}; allowed: {', '.join(sorted(known))}."
            )
        if isinstance(spec.get("files"), str):
            spec["files"] = [spec["files"]]
        m = EntityMapping(**spec)
        cols = set(contract[name].column_names)
        for key in list(m.columns) + list(m.expressions) + list(m.defaults):
            if key not in cols:
                raise LandingError(
                    f"Mapping file {p}, entity {name}: '{key}' is not a contract "
                    f"column; contract columns: {', '.join(sorted(cols))}."
                )
        for key, value in m.defaults.items():
            if value is None:
                raise LandingError(
                    f"Mapping file {p}, entity {name}: the default for {key} is "
                    "empty; give a value or remove it."
                )
        for key, expr in m.expressions.items():
            if ";" in expr or "--" in expr:
                raise LandingError(
                    f"Mapping file {p}, entity {name}, expression for {key}: "
                    "';' and '--' are not allowed in an expression."
                )
        if m.encoding.lower() not in SUPPORTED_ENCODINGS:
            raise LandingError(
                f"Mapping file {p}, entity {name}: encoding '{m.encoding}' is not "
                f"supported; use one of utf-8, latin-1, utf-16."
            )
        out[name] = m
    return out


#: The names an entity's files may have without a mapping's `files` glob: <entity> + suffix.
FILE_SUFFIXES = (".csv", "_*.csv", ".csv.gz", "_*.csv.gz", ".parquet", "_*.parquet")


def _patterns_text(entity: str) -> str:
    """The file names find_files accepts for `entity`, for messages."""
    return ", ".join(entity + suffix for suffix in FILE_SUFFIXES)


def find_files(landing_dir: Path, entity: str, mapping: EntityMapping) -> list[Path]:
    """The entity's files, sorted by name (the order duplicates are judged in)."""
    patterns = mapping.files or [entity + suffix for suffix in FILE_SUFFIXES]
    if not landing_dir.is_dir():
        return []
    names = sorted(p.name for p in landing_dir.iterdir() if p.is_file())
    hits = [n for n in names if any(fnmatch.fnmatchcase(n, pat) for pat in patterns)]
    return [landing_dir / n for n in hits]


def unread_entity_entries(
    landing_dir: Path, entities: list[str], mappings: dict[str, EntityMapping], skip: set[str]
) -> list[tuple[str, str]]:
    """(entry, entity) for each file or folder of the landing folder whose name holds an
    entity's name but which no entity reads (Sales_Lines.csv, sales_lines.CSV, sales-lines.csv,
    sales_lines.txt, a sales_lines/ folder): rows the user meant to deliver that would be left
    out without a word. Hidden entries and the names in `skip` (a mapping or erasure file kept
    there) are not entries."""
    if not landing_dir.is_dir():
        return []
    read = {
        p.name
        for e in entities
        for p in find_files(landing_dir, e, mappings.get(e, EntityMapping()))
    }
    by_length = sorted(entities, key=len, reverse=True)  # relationship_assessments first
    out = []
    for p in sorted(landing_dir.iterdir()):
        if p.name.startswith(".") or p.name in read or p.name in skip:
            continue
        words = re.sub(r"[^a-z0-9]+", "_", p.name.casefold())
        entity = next((e for e in by_length if e in words), None)
        if entity:
            out.append((p.name + ("/" if p.is_dir() else ""), entity))
    return out


def unread_entries_message(landing_dir: Path, entries: list[tuple[str, str]]) -> str:
    listed = ", ".join(f"{name} ({entity}?)" for name, entity in entries)
    return (
        f"Landing entries not read: {listed}. Their names hold an entity's name, but the loader "
        f"reads only {_patterns_text('<entity>')} (lower case, in the landing folder itself) or "
        f"the `files` glob of the mapping file. Rename them, or move them out of "
        f"{landing_dir.resolve()}, so that no row is left out without a word."
    )


#: Digests already computed, by (path, inode, size, mtime): a dbt run resolves a source several
#: times (the staging model, the row-count test), the file is hashed once. The landing plugin
#: clears it at the start of every dbt command (`clear_digest_cache`).
_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def clear_digest_cache() -> None:
    _DIGESTS.clear()


def _sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns)
    if key in _DIGESTS:
        return _DIGESTS[key]
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def _longest_line(path: Path) -> int:
    """Bytes in the longest physical line (of the decompressed text for .gz)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    longest = current = 0
    with opener(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            parts = chunk.split(b"\n")
            current += len(parts[0])
            if len(parts) > 1:
                longest = max(longest, current, *(len(x) for x in parts[1:-1]))
                current = len(parts[-1])
    return max(longest, current)


def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _readable(path: Path, read):
    """read(), with what Python's csv and gzip modules raise on a file they cannot read said as
    a LandingError that names the file (their own messages name none)."""
    try:
        return read()
    except csv.Error as exc:
        raise LandingError(
            f"{path.name}: the header cannot be read as CSV ({exc}). A file whose lines end in "
            "a lone carriage return (old Mac line endings) must be saved with \\n or \\r\\n "
            "line endings."
        ) from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise LandingError(
            f"{path.name}: the file cannot be decompressed ({exc}): a .gz file must be "
            "complete and gzip-compressed; send it again, or uncompressed."
        ) from None


def _header_name(field: str, quote: str | None) -> str:
    """A header field's name: spaces around it dropped, and the quotes of a field quoted after a
    space (` "REP_NAME"`), which CSV keeps as part of the text, so it still names its column."""
    name = field.strip()
    if quote and len(name) >= 2 and name[0] == quote == name[-1]:
        name = name[1:-1].replace(quote * 2, quote).strip()
    return name


def _blank_header(path: Path, opener, mode: str, encoding: str | None) -> None:
    """The first line is blank: None when the whole file is (an empty delivery), else stop.

    The loader reads the first line as the header, so a file whose header comes after blank
    lines would read as empty and its rows would be lost without a word."""
    with opener(path, mode, encoding=encoding) as f:
        for line in f:
            if line.strip().lstrip("\ufeff" if isinstance(line, str) else b"\xef\xbb\xbf"):
                raise LandingError(
                    f"{path.name}: the first line is blank, but the file is not: the header must "
                    "be on the first line. Remove the blank line(s) before the header and deliver "
                    "the file again."
                )
    return None


def read_csv_header(path: Path, m: EntityMapping) -> list[str] | None:
    """The header's field names, or None for an empty file (nothing but blank lines)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    encoding = SUPPORTED_ENCODINGS[m.encoding.lower()]
    if encoding == "utf-16":  # a byte readline would split a UTF-16 code unit at b"\n"
        try:
            with opener(path, "rt", encoding="utf-16", newline="") as f:
                text = f.readline(1 << 20).lstrip("\ufeff")
            if not text.strip():
                return _blank_header(path, opener, "rt", "utf-16")
        except UnicodeError:
            raise LandingError(f"{path.name}: the header is not valid utf-16.") from None
        row = next(
            csv.reader(
                io.StringIO(text),
                delimiter=m.delimiter,
                quotechar=m.quote or None,
                quoting=csv.QUOTE_MINIMAL if m.quote else csv.QUOTE_NONE,
            )
        )
        return [_header_name(h, m.quote) for h in row]
    with opener(path, "rb") as f:
        raw = f.readline(1 << 20)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        return _blank_header(path, opener, "rb", None)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise LandingError(
            f"{path.name}: the header is not valid {encoding}. If the file is Latin-1 "
            "(ISO-8859-1), set `encoding: latin-1` for this entity in the mapping file."
        ) from None
    row = next(
        csv.reader(
            io.StringIO(text),
            delimiter=m.delimiter,
            quotechar=m.quote or None,
            quoting=csv.QUOTE_MINIMAL if m.quote else csv.QUOTE_NONE,
        )
    )
    return [_header_name(h, m.quote) for h in row]


def _rewrite_expression(expr: str, header: list[str]) -> tuple[str, set[str]]:
    """Rewrite the export's column names in an expression to c1..cn, outside string literals.

    SQL identifiers are case-insensitive, so the names are matched case-insensitively."""
    used: set[str] = set()

    def rewrite(code: str) -> str:
        for i, h in sorted(enumerate(header, start=1), key=lambda t: -len(t[1])):
            if not h:
                continue
            pattern = (
                re.escape(_quote_ident(h))
                if not _SAFE_IDENT.match(h)
                else r"(?<![\w\"])" + re.escape(h) + r"(?![\w\"])"
            )
            code, n = re.subn(pattern, f"c{i}", code, flags=re.IGNORECASE)
            if n:
                used.add(h.casefold())
        return code

    parts, pos = [], 0
    for lit in _STRING_LITERAL.finditer(expr):
        parts += [rewrite(expr[pos : lit.start()]), lit.group(0)]
        pos = lit.end()
    parts.append(rewrite(expr[pos:]))
    return "".join(parts), used


def _resolve_columns(
    entity: Entity, header: list[str], m: EntityMapping, path: Path
) -> tuple[dict[str, str], list[str]]:
    """Map each contract column to a SQL expression over the file's columns c1..cn."""
    by_name: dict[str, str] = {}
    for i, h in enumerate(header, start=1):
        by_name.setdefault(h.casefold(), f"c{i}")
    wanted = {
        m.columns.get(col.name, col.name).casefold()
        for col in entity.columns
        if col.name not in m.expressions
    }
    folded = Counter(h.casefold() for h in header)
    twice = sorted({h for h in header if h.casefold() in wanted and folded[h.casefold()] > 1})
    if twice:
        # which of the two holds the data cannot be guessed; reading the first would drop the other
        raise LandingError(
            f"{path.name}: the header names column(s) {', '.join(twice)} more than once; "
            "rename or remove the extra column(s) so each column is read from one place."
        )
    used: set[str] = set()
    exprs: dict[str, str] = {}
    missing: list[str] = []
    for col in entity.columns:
        if col.name in m.expressions:
            expr, names = _rewrite_expression(m.expressions[col.name], header)
            used |= names
            exprs[col.name] = f"cast(({expr}) as varchar)"
            continue
        source_name = m.columns.get(col.name, col.name)
        ref = by_name.get(source_name.casefold())
        if ref is not None:
            used.add(source_name.casefold())
            exprs[col.name] = ref
        elif col.name in m.defaults:
            exprs[col.name] = f"cast({_sql_str(m.defaults[col.name])} as varchar)"
        elif col.required:
            missing.append(source_name)
        else:
            exprs[col.name] = "cast(null as varchar)"
        if col.name in m.defaults and ref is not None:
            exprs[col.name] = (
                f"coalesce(nullif(trim({ref}), ''), "
                f"cast({_sql_str(m.defaults[col.name])} as varchar))"
            )
    if missing:
        hint = ""
        if len(header) == 1 and any(d in header[0] for d in (";", "\t", "|")):
            sep = next(d for d in (";", "\t", "|") if d in header[0])
            hint = (
                f" The header looks {sep!r}-delimited: set `delimiter: {sep!r}` for this "
                "entity in the mapping file."
            )
        raise LandingError(
            f"{path.name}: required column(s) {', '.join(missing)} missing from the header "
            f"({', '.join(header) or 'empty'}).{hint}"
        )
    # a column without a name is listed too: its values are not read, and that must show
    unexpected = [
        h or f"(column {i}, no name)"
        for i, h in enumerate(header, start=1)
        if not h or h.casefold() not in used
    ]
    return exprs, unexpected


def _char_class(ch: str) -> str:
    """A regular-expression atom matching exactly the character `ch` (a mark or separator)."""
    return "[" + ch + "]" if ch in ".,' " else re.escape(ch)


def _normalised_number(expr: str, decimal_mark: str, thousands_separator: str | None) -> str:
    """SQL turning a number written with the mapping's marks into a plain one (1.234,50 ->
    1234.50). A value that does not follow them (12,50 with thousands ',' and decimal '.', which
    would read as 1250; 1.234 with decimal ',' and no thousands separator) becomes text no cast
    reads, so staging quarantines it (invalid_number) instead of reading another number."""
    dec = _char_class(decimal_mark)
    patterns = [f"[+-]?([0-9]+({dec}[0-9]+)?|{dec}[0-9]+)"]
    plain = f"replace(trim({expr}), {_sql_str(decimal_mark)}, '.')"
    grouped = plain
    if thousands_separator:
        sep = _char_class(thousands_separator)
        patterns.append(f"[+-]?[0-9]{{1,3}}({sep}[0-9]{{3}})+({dec}[0-9]+)?")
        grouped = (
            f"replace(replace(trim({expr}), {_sql_str(thousands_separator)}, ''), "
            f"{_sql_str(decimal_mark)}, '.')"
        )
    return (
        f"case when nullif(trim({expr}), '') is null then {expr} "
        f"when regexp_full_match(trim({expr}), {_sql_str(patterns[0])}) then {plain} "
        + (
            f"when regexp_full_match(trim({expr}), {_sql_str(patterns[1])}) then {grouped} "
            if thousands_separator
            else ""
        )
        + f"else 'not a number in the mapping''s format: ' || {expr} end"
    )


def _normalise(
    entity: Entity, exprs: dict[str, str], m: EntityMapping, typed: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Apply the mapping's decimal mark, thousands separator and date format to text values.

    `typed` names the columns read from a typed (non-text) Parquet column: left alone."""
    out = dict(exprs)
    for col in entity.columns:
        e = out[col.name]
        if col.name in typed:
            continue
        if col.data_type in ("decimal", "integer") and (
            m.thousands_separator or m.decimal_mark != "."
        ):
            e = _normalised_number(e, m.decimal_mark, m.thousands_separator)
        elif col.data_type == "date" and m.date_format:
            # Values that do not match the format stay as they are, so staging quarantines them.
            e = (
                f"coalesce(strftime(try_strptime(trim({e}), {_sql_str(m.date_format)}), "
                f"'%Y-%m-%d'), {e})"
            )
        out[col.name] = e
    return out


def create_load_log(conn: duckdb.DuckDBPyConnection) -> None:
    """Create landing.load_log if it does not exist yet."""
    conn.execute("create schema if not exists landing")
    conn.execute(
        "create table if not exists landing.load_log (entity varchar, file varchar, "
        "file_format varchar, bytes bigint, sha256 varchar, status varchar, "
        "rows_accepted bigint, rows_rejected bigint, unexpected_columns varchar, "
        "message varchar)"
    )


def load_erasure_list(path: str | Path | None) -> list[str]:
    """Keys of the people to erase (first column of the erasure CSV), cleaned like staging does."""
    if not path or not Path(path).is_file():
        return []
    with Path(path).open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return sorted({r[0].strip().upper() for r in rows[1:] if r and r[0].strip()})


class LandingReader:
    """Reads the landing folder for one DuckDB connection."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        landing_dir: str | Path,
        mapping_path: str | Path | None = None,
        erasure_path: str | Path | None = None,
    ):
        self.conn = conn
        # Typed Parquet timestamps with a time zone are read as text in the session's zone, which
        # would otherwise be the machine's: the same file would give other dates elsewhere.
        self.conn.execute("set TimeZone = 'UTC'")
        self.landing_dir = Path(landing_dir)
        self.mapping = load_mapping(mapping_path)
        self.contract = load_contract()
        self.erased = load_erasure_list(erasure_path)
        self.reports: list[FileReport] = []

    def _erase(self, entity: Entity, rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
        """Blank the personal columns (and raw text) of people on the erasure list at the door,
        so that no layer, landing included, keeps them. The row stays, for reconciliation."""
        personal = [c.name for c in entity.columns if c.personal_data]
        if not personal or not self.erased:
            return rel
        key = entity.columns[0].name
        keys = ", ".join(_sql_str(k) for k in self.erased)
        erased = f"upper(trim({key})) in ({keys})"
        replaced = [f"case when {erased} then null else {c} end as {c}" for c in personal]
        replaced.append(f"case when {erased} then null else _raw_record end as _raw_record")
        return self.conn.sql(f"select * replace ({', '.join(replaced)}) from ({rel.sql_query()})")

    def empty(self, entity: Entity | str) -> duckdb.DuckDBPyRelation:
        if isinstance(entity, str):
            entity = self.contract[entity]
        cols = [f"cast(null as varchar) as {c}" for c in entity.column_names]
        lineage = [
            "cast(null as varchar) as _source_file",
            "cast(null as bigint) as _source_row",
            "cast(null as bigint) as _source_line",
            "cast(null as varchar) as _file_sha256",
            "cast(null as boolean) as _is_duplicate_file",
            "cast(null as varchar) as _load_error",
            "cast(null as varchar) as _raw_record",
        ]
        return self.conn.sql(f"select {', '.join(cols + lineage)} where false")

    def files_with_digests(self, entity_name: str) -> list[tuple[str, str]]:
        """(file name, sha256) of the entity's files, in the order they are read."""
        m = self.mapping.get(entity_name, EntityMapping())
        return [(p.name, _sha256(p)) for p in find_files(self.landing_dir, entity_name, m)]

    def signature(self, entity_name: str) -> str:
        """Everything besides the files' bytes that decides what the loader makes of them: the
        loader's version, the entity's contract columns, its mapping and the erasure list."""
        entity = self.contract[entity_name]
        parts = [
            LOADER_VERSION,
            ",".join(entity.column_names),
            repr(self.mapping.get(entity_name, EntityMapping())),
            ",".join(self.erased),
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    def read(self, entity_name: str, skip: frozenset[str] = frozenset()) -> duckdb.DuckDBPyRelation:
        """All rows of all files of the entity, as one relation (lazy for accepted rows).

        Files named in `skip` (already loaded) are hashed, so that a later file with the same
        content is still flagged as a duplicate, but neither read nor reported."""
        entity = self.contract[entity_name]
        m = self.mapping.get(entity_name, EntityMapping())
        files = find_files(self.landing_dir, entity_name, m)
        if not files:
            if entity.required:
                raise LandingError(
                    f"Required entity '{entity_name}' has no file in the landing folder "
                    f"{self.landing_dir.resolve()} (expected {entity_name}.csv, "
                    f"{entity_name}_*.csv or {entity_name}*.parquet, or the `files` glob of the "
                    "mapping file)."
                )
            self.reports.append(
                FileReport(
                    entity_name,
                    "",
                    "",
                    0,
                    "",
                    "missing",
                    message="no file: optional entity not delivered",
                )
            )
            return self.empty(entity)
        seen: dict[str, str] = {}
        parts = []
        for path in files:
            digest = _sha256(path)
            duplicate_of = seen.get(digest)
            seen.setdefault(digest, path.name)
            if path.name in skip:
                continue
            is_parquet = path.name.endswith(".parquet")
            rel = (
                self._read_parquet(entity, path, m, digest, duplicate_of)
                if is_parquet
                else self._read_csv(entity, path, m, digest, duplicate_of)
            )
            if rel is not None:
                parts.append(rel)
        if not parts:
            return self.empty(entity)
        sql = " union all ".join(f"select * from ({p.sql_query()})" for p in parts)
        return self._erase(entity, self.conn.sql(sql))

    def _lineage(self, path: Path, digest: str, duplicate_of: str | None) -> str:
        return (
            f"{_sql_str(path.name)} as _source_file, {_sql_str(digest)} as _file_sha256, "
            f"{'true' if duplicate_of else 'false'} as _is_duplicate_file"
        )

    def _read_parquet(self, entity, path, m, digest, duplicate_of):
        size = path.stat().st_size
        try:
            desc = self.conn.sql(f"describe select * from read_parquet({_sql_str(str(path))})")
            described = desc.fetchall()
            header = [r[0] for r in described]
        except duckdb.Error as exc:
            raise LandingError(f"{path.name}: not a readable Parquet file ({exc}).") from None
        exprs, unexpected = _resolve_columns(entity, header, m, path)
        typed = frozenset(
            c
            for c, e in exprs.items()
            if re.fullmatch(r"c\d+", e) and described[int(e[1:]) - 1][1] != "VARCHAR"
        )
        # Parquet columns are addressed by their own names; map c1..cn back to them.
        rename = {f"c{i}": _quote_ident(h) for i, h in enumerate(header, start=1)}
        exprs = {
            k: re.sub(r"\bc(\d+)\b", lambda mt: rename[mt.group(0)], v) for k, v in exprs.items()
        }
        exprs = {
            k: v if v.startswith("cast(") else f"cast({v} as varchar)" for k, v in exprs.items()
        }
        exprs = _normalise(entity, exprs, m, typed)
        select = ", ".join(f"{e} as {c}" for c, e in exprs.items())
        src = f"read_parquet({_sql_str(str(path))}, file_row_number=true)"
        rows = self.conn.sql(f"select count(*) from {src}").fetchall()[0][0]
        status = "duplicate_file" if duplicate_of else "loaded"
        msg = f"same content as {duplicate_of}" if duplicate_of else ""
        self.reports.append(
            FileReport(
                entity.name,
                path.name,
                "parquet",
                size,
                digest,
                status,
                rows,
                0,
                ", ".join(unexpected),
                msg,
            )
        )
        return self.conn.sql(
            f"select {select}, {_sql_str(path.name)} as _source_file, "
            f"file_row_number + 1 as _source_row, cast(null as bigint) as _source_line, "
            f"{_sql_str(digest)} as _file_sha256, "
            f"{'true' if duplicate_of else 'false'} as _is_duplicate_file, "
            f"cast(null as varchar) as _load_error, cast(null as varchar) as _raw_record "
            f"from {src}"
        )

    def _read_csv(self, entity, path, m, digest, duplicate_of):
        size = path.stat().st_size
        header = _readable(path, lambda: read_csv_header(path, m) if size else None)
        if header is None:
            self.reports.append(
                FileReport(
                    entity.name,
                    path.name,
                    "csv",
                    size,
                    digest,
                    "empty",
                    message="empty file: no header, no rows",
                )
            )
            return None
        exprs, unexpected = _resolve_columns(entity, header, m, path)
        exprs = _normalise(entity, exprs, m)
        n = len(header)
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, n + 1)) + "}"
        encoding = SUPPORTED_ENCODINGS[m.encoding.lower()]
        options = (
            f"header=true, auto_detect=false, columns={columns}, "
            f"delim={_sql_str(m.delimiter)}, quote={_sql_str(m.quote)}, "
            f"escape={_sql_str(m.quote)}, encoding={_sql_str(encoding)}, "
            "strict_mode=true, null_padding=false, ignore_errors=true, "
            "max_line_size=1048576"
        )
        longest = _readable(path, lambda: _longest_line(path))
        if longest > CSV_BUFFER_SAFE_LINE:
            # DuckDB silently drops a line longer than its buffer instead of rejecting it.
            options += f", buffer_size={longest + (2 << 20)}"
        src = f"read_csv({_sql_str(str(path))}, {options})"
        # First pass: count accepted records and collect the rejected ones, with line numbers.
        cur = self.conn.cursor()
        cur.execute("drop table if exists kam_rejects; drop table if exists kam_rejects_scan")
        # count(*) alone decodes no column, so invalid encoding would go unnoticed here.
        all_columns = ", ".join(f"c{i}" for i in range(1, n + 1))
        try:
            accepted = cur.sql(
                f"select count(hash({all_columns})) from read_csv({_sql_str(str(path))}, "
                f"{options}, store_rejects=true, rejects_table='kam_rejects', "
                "rejects_scan='kam_rejects_scan')"
            ).fetchall()[0][0]
        except duckdb.InvalidInputException as exc:
            if "encoded" not in str(exc):
                raise
            # DuckDB's latin-1 refuses bytes 0x80-0x9F, which Windows-1252 uses for characters
            # such as a curly apostrophe or the euro sign: the file is not Latin-1 then.
            raise LandingError(
                f"{path.name}: DuckDB cannot read it as {encoding} ({exc}). A file saved as "
                "Windows-1252 (curly quotes, the euro sign) is neither UTF-8 nor Latin-1: save "
                "it as UTF-8 and deliver it again."
            ) from None
        rejects = cur.sql(
            "select line, error_type, csv_line, error_message from kam_rejects "
            "order by line, column_idx"
        ).fetchall()
        cur.close()
        # One reject per physical record (a record can break several rules). With CRLF line
        # ends DuckDB's csv_line starts with the previous record's "\n": not part of the record.
        by_line: dict[int, tuple[str, str]] = {}
        for line, error_type, csv_line, message in rejects:
            raw = (csv_line or "").lstrip("\r\n")
            swallowed = raw.rstrip("\r\n").count("\n")
            if "unterminated quote" in (message or "") and swallowed:
                # The quote runs to the end of the file: the records after it would be lost.
                raise LandingError(
                    f"{path.name}: unterminated quote at line {line}: the rest of the file "
                    f"({swallowed} more line(s) at least) would be read as one value. Fix the "
                    "quoting in the export, or set `quote: ''` for this entity in the mapping "
                    "file."
                )
            by_line.setdefault(int(line), (str(error_type), raw))
        if any(t == "INVALID ENCODING" for t, _ in by_line.values()):
            first = min(ln for ln, (t, _) in by_line.items() if t == "INVALID ENCODING")
            raise LandingError(
                f"{path.name}: not valid {encoding} (first bad record at line {first}). If the "
                "file is Latin-1 (ISO-8859-1), set `encoding: latin-1` for this entity in the "
                "mapping file."
            )
        status = (
            "duplicate_file"
            if duplicate_of
            else ("loaded" if accepted or by_line else "header_only")
        )
        msg = f"same content as {duplicate_of}" if duplicate_of else ""
        self.reports.append(
            FileReport(
                entity.name,
                path.name,
                "csv",
                size,
                digest,
                status,
                accepted,
                len(by_line),
                ", ".join(unexpected),
                msg,
            )
        )
        select = ", ".join(f"{e} as {c}" for c, e in exprs.items())
        lineage = self._lineage(path, digest, duplicate_of)
        # _source_row is the record's position among the file's data records. A rejected
        # record takes the slot of its physical line (header = line 1), kept increasing and in
        # range; accepted rows fill the other slots in file order.
        total = accepted + len(by_line)
        slots: list[int] = []
        for j, line in enumerate(sorted(by_line)):
            low = slots[-1] + 1 if slots else 1
            slots.append(min(max(line - 1, low), total - (len(by_line) - 1 - j)))
        gaps = [s - j for j, s in enumerate(slots, start=1)]  # accepted rows before reject j
        position = f"_rn + len(list_filter({gaps}, lambda g: g < _rn))" if gaps else "_rn"
        good = (
            f"select *, {position} as _source_row from (select {select}, {lineage}, "
            f"row_number() over () as _rn, "
            f"cast(null as bigint) as _source_line, cast(null as varchar) as _load_error, "
            f"cast(null as varchar) as _raw_record from {src})"
        )
        cols = ", ".join(list(entity.column_names) + list(LINEAGE_COLUMNS))
        if not by_line:
            return self.conn.sql(f"select {cols} from ({good})")
        nulls = ", ".join(f"cast(null as varchar) as {c}" for c in entity.column_names)
        values = ", ".join(
            f"({slot}, {line}, {_sql_str(err.lower().replace(' ', '_'))}, "
            f"{_sql_str(raw[:RAW_RECORD_MAX_CHARS])})"
            for slot, (line, (err, raw)) in zip(slots, sorted(by_line.items()), strict=True)
        )
        bad = (
            f"select {nulls}, {lineage}, r.row_ord as _source_row, r.line as _source_line, "
            f"r.err as _load_error, r.raw as _raw_record "
            f"from (values {values}) as r(row_ord, line, err, raw)"
        )
        return self.conn.sql(f"select {cols} from ({good}) union all select {cols} from ({bad})")

    def write_load_log(self, append: bool = False) -> None:
        """Record what was read, file by file, in landing.load_log (replacing the entity's rows).

        With `append`, only the rows of the files just read are replaced (and a 'missing' row):
        the rows of files loaded by an earlier run stay."""
        create_load_log(self.conn)
        for entity in sorted({r.entity for r in self.reports}):
            if append:
                files = [r.file for r in self.reports if r.entity == entity] + [""]
                marks = ", ".join("?" for _ in files)
                self.conn.execute(
                    f"delete from landing.load_log where entity = ? and file in ({marks})",
                    [entity, *files],
                )
            else:
                self.conn.execute("delete from landing.load_log where entity = ?", [entity])
        for r in self.reports:
            self.conn.execute(
                "insert into landing.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    r.entity,
                    r.file,
                    r.file_format,
                    r.bytes,
                    r.sha256,
                    r.status,
                    r.rows_accepted,
                    r.rows_rejected,
                    r.unexpected_columns,
                    r.message,
                ],
            )
        self.reports.clear()
