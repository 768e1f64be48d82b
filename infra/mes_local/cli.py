"""`mes`: the command line of the local stack (see "The local stack" in the API contract).

It talks to the stack started by `make run` (same MES_AWS_ENDPOINT, default
http://127.0.0.1:5000): the function environment (table and bucket names...) is read from the
SSM parameter the stack wrote, and the **same handlers** as the Lambdas are invoked in this
process. stdout carries only the command's output (handler logs are WARNING+ unless -v)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mes_local.functions import HANDLERS, ROOT
from mes_local.progress import MODES
from mes_local.stack import ENV_PARAMETER, REGION, endpoint_from_env, use_local_aws

NOT_RUNNING = ("mes: the local stack is not reachable at {endpoint} ({reason}).\n"
               "Start it with `make run` (or `python -m mes_local.stack`), or set MES_AWS_ENDPOINT.")


class CliError(Exception):
    """A message for the user and an exit status."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


# -------------------------------------------------------------------------------------------------
# Connecting to the running stack
# -------------------------------------------------------------------------------------------------
def connect(verbose: bool = False) -> dict[str, str]:
    """Point this process at the stack and load its function environment into os.environ."""
    endpoint = endpoint_from_env()
    use_local_aws(endpoint)
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    ssm = boto3.session.Session(region_name=REGION).client(
        "ssm", config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1}))
    try:
        env = json.loads(ssm.get_parameter(Name=ENV_PARAMETER)["Parameter"]["Value"])
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        reason = "no mes stack there yet (still starting?)" if code == "ParameterNotFound" else code
        raise CliError(NOT_RUNNING.format(endpoint=endpoint, reason=reason)) from None
    except (BotoCoreError, OSError) as exc:
        raise CliError(NOT_RUNNING.format(endpoint=endpoint, reason=type(exc).__name__)) from None
    os.environ.update(env)
    # After the stack's env (which says INFO): keep stdout for the command's output.
    os.environ["POWERTOOLS_LOG_LEVEL"] = "DEBUG" if verbose else "WARNING"
    if not verbose:
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    from mes.bootstrap import set_container
    set_container(None)  # settings are read again from the environment just loaded
    return env


@contextlib.contextmanager
def _handler_output(verbose: bool) -> Iterator[None]:
    """Anything a handler prints (metrics, logs written with print) goes to stderr."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _invoke(name: str, event: dict[str, Any], verbose: bool) -> Any:
    from mes_local.functions import invoke
    with _handler_output(verbose):
        return invoke(name, event)


# The functions that report their batches (`progress=`), with the job name and unit of their summary.
PROGRESS = {"wave": ("wave", "people"), "auto_create": ("auto_create", "espaces"),
            "population_import": ("population", "rows"), "reimbursement_import": ("reimbursements", "lines"),
            "majority_handover": ("majority_handover", "espaces"), "retention": ("retention", "espaces"),
            "suspension_followup": ("suspension_followup", "espaces"), "hidden_release": ("hidden_release", "documents")}


def _run_job(name: str, event: dict[str, Any], args: argparse.Namespace) -> Any:
    """Invoke a batch function with a progress renderer on stderr (bar on a terminal, else a line per
    batch), then its summary line; stdout keeps the command's result."""
    from mes_local.functions import invoke
    from mes_local.progress import Renderer
    function = HANDLERS.get(name, name)
    if function not in PROGRESS:
        return _invoke(name, event, args.verbose)
    job, unit = PROGRESS[function]
    renderer = Renderer(job, unit, stream=sys.stderr, mode=getattr(args, "progress", "auto"))
    try:
        with _handler_output(args.verbose):
            result = invoke(name, event, progress=renderer)
    finally:
        renderer.close()
    renderer.summary(complete=bool(result.get("complete", True)) if isinstance(result, dict) else True)
    return result


def _event(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))


def parse_time(value: str) -> datetime:
    """ISO 8601: `2026-03-01` (midnight UTC), `2026-03-01T09:00:00Z`, with an offset, or naive (UTC)."""
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {value!r} (e.g. 2026-03-01 or 2026-03-01T09:00:00Z)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _scheduled_event(name: str, at: datetime | None, detail: dict[str, Any]) -> dict[str, Any]:
    event = _event(name)
    event["id"] = str(uuid.uuid4())
    event["time"] = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"] = detail
    return event


def _yes(value: Any) -> str:
    return "yes" if value else "no"


# -------------------------------------------------------------------------------------------------
# Commands
# -------------------------------------------------------------------------------------------------
def cmd_population_generate(args: argparse.Namespace) -> int:
    from mes_local.population import generate, to_csv
    if args.count < 0:
        raise CliError("mes: --count must be positive", 2)
    department = args.department.upper() if args.department else None
    sys.stdout.write(to_csv(generate(args.count, seed=args.seed, department=department)))
    return 0


def _import_file(args: argparse.Namespace, function: str, bucket_setting: str, key_name: Callable[[Path], str],
                 counts: tuple[str, ...], at: datetime | None = None) -> int:
    """Drop the file in the function's bucket (SSE-KMS), run the function on its S3 event, print the
    counts and the rejected lines by number."""
    path = Path(args.file)
    try:
        body = path.read_bytes()
        body.decode("utf-8-sig")
    except OSError as exc:
        raise CliError(f"mes: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError(f"mes: {path} is not a UTF-8 file") from None
    connect(args.verbose)
    from mes.bootstrap import get_container
    from mes.domain.errors import DomainError

    settings = get_container().settings
    bucket = getattr(settings, bucket_setting)
    key = f"imports/{uuid.uuid4().hex}-{key_name(path)}"
    get_container().client("s3").put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="aws:kms",
                                            SSEKMSKeyId=settings.data_key_arn)
    event = _event(function)
    record = event["Records"][0]
    if at is not None:
        record["eventTime"] = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["object"]["key"] = key
    record["s3"]["object"]["size"] = len(body)
    try:
        result = _run_job(function, event, args)
    except DomainError as exc:  # e.g. an incomplete CSV header: the file cannot be read at all
        raise CliError(f"mes: {path} cannot be imported: {getattr(exc, 'detail', exc)}") from None
    report = result["files"][0]
    for name in counts:
        print(f"{name.replace('_', ' ')}: {report[name]}")
    for error in report["errors"]:
        print(f"line {error['line']}: field {error['field'] or '-'}: {error['detail']}")
    return 0


def cmd_population_import(args: argparse.Namespace) -> int:
    return _import_file(args, "population_import", "population_bucket", lambda path: path.name,
                        ("rows", "imported", "already_known", "rejected"))


def cmd_reimbursements_import(args: argparse.Namespace) -> int:
    """BR-21: drop the file in the reimbursements bucket and run the import function on its S3 event."""
    def key_name(path: Path) -> str:
        return path.stem + (".jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else ".csv")

    return _import_file(args, "reimbursement_import", "reimbursements_bucket", key_name,
                        ("lines", "imported", "already_known", "too_old", "rejected"), at=args.at or datetime.now(UTC))


# -------------------------------------------------------------------------------------------------
# The scheduled jobs: `mes <job> run [--at TIME]`, one table entry each
# -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobCommand:
    """A scheduled function run on demand: its command, the event detail its options give, and the
    result lines it prints (``label: value``), then ``complete: yes|no``."""

    command: str
    function: str
    help: str
    lines: tuple[tuple[str, str], ...]
    optional_lines: tuple[tuple[str, str], ...] = ()  # printed only when the result has them
    options: tuple[tuple[str, dict[str, Any]], ...] = ()  # argparse options before --at
    detail: Callable[[argparse.Namespace], dict[str, Any]] = field(default=lambda args: {})
    function_name: str = ""  # how `run --help` names the function (default: the command)


def _wave_detail(args: argparse.Namespace) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if args.department:
        detail["department"] = args.department.upper()
    if args.limit is not None:
        detail["limit"] = args.limit
    return detail


def cmd_job_run(args: argparse.Namespace) -> int:
    """Invoke a scheduled job at `--at` (default: now) and print its counts, then whether it finished."""
    job: JobCommand = args.job
    event = _scheduled_event(job.function, args.at, job.detail(args))
    connect(args.verbose)
    result = _run_job(job.function, event, args)
    for label, key in job.lines:
        print(f"{label}: {result[key]}")
    for label, key in job.optional_lines:
        if key in result:
            print(f"{label}: {result[key]}")
    print(f"complete: {_yes(result.get('complete', True))}")
    return 0


def cmd_espace_order(args: argparse.Namespace) -> int:
    """BR-15: the operator suspends an espace for fraud, or lifts the suspension (objection upheld)."""
    connect(args.verbose)
    result = _invoke("operator", {"action": args.action, "espace_id": args.espace_id, "reason": args.reason},
                     args.verbose)
    if "error" in result:
        raise CliError(f"mes espace {args.action}: {result['error']}")
    print(f"espace: {result['espace_id']}")
    print(f"status: {result['status']}")
    print(f"changed: {_yes(result['changed'])}")
    if result.get("suspension_due"):
        print(f"closed automatically on: {result['suspension_due']}")
    return 0


def cmd_invoke(args: argparse.Namespace) -> int:
    path = Path(args.event)
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"mes: cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CliError(f"mes: {path} is not JSON: {exc}") from None
    connect(args.verbose)
    result = _run_job(args.function, event, args)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


_SHOWN_FIELDS = ("code", "otp", "deadline", "expires", "receipt_id", "at")


def _line(entry: dict[str, Any]) -> str:
    data = entry.get("data") or {}
    fields = " ".join(f"{k}={data[k]}" for k in _SHOWN_FIELDS if data.get(k))
    where = f" ({data['address']})" if entry["channel"] == "letter" and data.get("address") else ""
    return f"{entry.get('sent_at') or '-'}  {entry['channel']:<6} {entry['recipient']}{where}  " \
           f"{entry['template']}  {fields}".rstrip()


def cmd_outbox(args: argparse.Namespace) -> int:
    env = connect(args.verbose)
    from mes_local import outbox
    try:
        data = outbox.http_data(endpoint_from_env())
    except OSError as exc:
        raise CliError(NOT_RUNNING.format(endpoint=endpoint_from_env(), reason=str(exc))) from None
    import boto3
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    entries = outbox.collect(data, s3, env.get("LETTERS_BUCKET"), env.get("SES_TEMPLATE_PREFIX", ""))
    entries = [e for e in entries if outbox.matches(e, args.to)]
    if args.json:
        keys = ("channel", "recipient", "template", "data", "sent_at")
        print(json.dumps([{k: e.get(k) for k in keys} for e in entries], indent=2, ensure_ascii=False))
    elif not entries:
        print("nothing sent" + (f" to {args.to}" if args.to else ""))
    else:
        for entry in entries:
            print(_line(entry))
    return 0


def _check_pro_token_args(args: argparse.Namespace) -> None:
    from mes.domain.professionals import PROFESSIONS, is_profession_code, is_rpps
    if not is_rpps(args.rpps):
        raise CliError(f"mes pro-token: --rpps must be an RPPS number of 11 digits (got {args.rpps!r})", 2)
    if not is_profession_code(args.profession):
        known = ", ".join(f"{code} {label}" for code, label in PROFESSIONS.items())
        raise CliError(f"mes pro-token: --profession must be a two-digit profession code ({known}); "
                       f"got {args.profession!r}", 2)
    if args.ttl <= 0:
        raise CliError("mes pro-token: --ttl must be a positive number of seconds", 2)


def cmd_pro_token(args: argparse.Namespace) -> int:
    """A PS token signed by the stack's Pro Santé Connect stand-in (its key is in moto SSM)."""
    _check_pro_token_args(args)
    env = connect(args.verbose)
    import boto3

    from mes_local import psc as local_psc
    ssm = boto3.session.Session(region_name=REGION).client("ssm")
    psc = local_psc.load(ssm, env.get("PSC_ISSUER", ""), env.get("PSC_AUDIENCE", ""))
    if psc is None or not env.get("PSC_ISSUER"):
        raise CliError("mes pro-token: this stack has no Pro Santé Connect stand-in (restart it with `make run`)")
    if psc.kid not in {key.get("kid") for key in json.loads(env.get("PSC_JWKS") or "{}").get("keys", [])}:
        raise CliError("mes pro-token: the stand-in's key is not the one the stack trusts (restart it with `make run`)")
    print(psc.issue(args.rpps, args.profession, structure=args.structure or None, name=args.name or None,
                    occupational=args.occupational, now=args.at, ttl=args.ttl))
    return 0


def _documents_table(args: argparse.Namespace) -> tuple[Any, str]:
    """(a DynamoDB client, the documents table): the named table in AWS (the default credential
    chain and --region), else the local stack's."""
    import boto3
    if args.table:
        return boto3.session.Session(region_name=args.region).client("dynamodb"), args.table
    connect(args.verbose)
    from mes.bootstrap import get_container
    container = get_container()
    return container.client("dynamodb"), container.settings.documents_table


def cmd_backfill_doc_refs(args: argparse.Namespace) -> int:
    """The one-off migration of issue 12 (docs/deploy.md): `doc_ref` on documents written before the
    `by_document` index, so FHIR reads by id find them. Idempotent and re-runnable; counts only."""
    from mes.adapters.documents_backfill import MAX_SEGMENTS, BackfillReport, backfill_doc_refs
    if not 1 <= args.segments <= MAX_SEGMENTS:
        raise CliError(f"mes backfill-doc-refs: --segments must be 1 to {MAX_SEGMENTS}", 2)
    client, table = _documents_table(args)
    pages: list[BackfillReport] = []

    def on_page(counts: BackfillReport) -> None:
        pages.append(counts)  # list.append is atomic: the segments' threads share it
        if getattr(args, "progress", "auto") != "off":
            print(f"backfill-doc-refs: page {len(pages)} · {counts.scanned} scanned · {counts.updated} updated",
                  file=sys.stderr, flush=True)
    report = backfill_doc_refs(client, table, segments=args.segments, page_size=args.page_size, on_page=on_page)
    for label, value in (("segments", args.segments), ("items scanned", report.scanned),
                         ("items without doc_ref", report.missing), ("updated", report.updated),
                         ("skipped", report.skipped), ("requests", report.requests)):
        print(f"{label}: {value}")
    return 0


# -------------------------------------------------------------------------------------------------
# Parser
# -------------------------------------------------------------------------------------------------
def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be positive: {value!r}")
    return number


_AT_HELP = "the event time, ISO 8601 (default: now)"

JOBS: tuple[JobCommand, ...] = (
    JobCommand("wave", "wave", "the notification wave",
               lines=(("notified by e-mail", "notified_email"), ("notified by letter", "notified_letter")),
               options=(("--department", {}), ("--limit", {"type": _positive_int})), detail=_wave_detail),
    JobCommand("auto-create", "auto_create", "the daily automatic creation",
               lines=(("created", "created"),), optional_lines=(("examined", "examined"),)),
    JobCommand("majority", "majority_handover", "the daily handover at 18 (BR-18)",
               lines=(("handed over", "handed_over"), ("codes by e-mail", "codes_by_email"),
                      ("codes by letter", "codes_by_letter"), ("unreachable", "unreachable")),
               function_name="majority-handover"),
    JobCommand("retention", "retention", "the daily retention job (BR-14)",
               lines=(("purged", "processed"), ("holders informed", "notified"), ("items deleted", "items_purged"))),
    JobCommand("suspension", "suspension_followup", "the daily suspension follow-up (BR-15)",
               lines=(("closed", "processed"), ("holders informed", "notified")),
               function_name="suspension follow-up"),
)


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="show the handlers' logs (on stdout) and metrics (on stderr)")
    common.add_argument("--progress", choices=MODES, default=argparse.SUPPRESS,
                        help="batch jobs' progress on stderr: a bar on a terminal, else a line per batch "
                             "(auto, the default), or force bar, lines, off")
    return common


def _actions(commands: Any, common: argparse.ArgumentParser, name: str, text: str) -> Any:
    """`mes NAME ACTION ...`: the sub-parsers of NAME's actions."""
    group = commands.add_parser(name, parents=[common], help=text)
    return group.add_subparsers(dest="action", metavar="ACTION", required=True)


def _add_imports(commands: Any, common: argparse.ArgumentParser) -> None:
    population = _actions(commands, common, "population", "import or generate a population")
    p = population.add_parser("import", parents=[common], help="import a CSV file (population function)")
    p.add_argument("file", metavar="FILE.csv")
    p.set_defaults(run=cmd_population_import)
    p = population.add_parser("generate", parents=[common], help="synthetic people as CSV on stdout")
    p.add_argument("--count", type=_positive_int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--department", help="e.g. 44, 2A (default: a mix)")
    p.set_defaults(run=cmd_population_generate)

    refunds = _actions(commands, common, "reimbursements", "the insurer's reimbursement history")
    p = refunds.add_parser("import", parents=[common],
                           help="import a CSV or JSON Lines file (reimbursement import function)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--at", type=parse_time, help="the S3 event time, ISO 8601 (default: now)")
    p.set_defaults(run=cmd_reimbursements_import)


def _add_jobs(commands: Any, common: argparse.ArgumentParser) -> None:
    for job in JOBS:
        p = _actions(commands, common, job.command, job.help).add_parser(
            "run", parents=[common], help=f"invoke the {job.function_name or job.command} function")
        for option, spec in job.options:
            p.add_argument(option, **spec)
        p.add_argument("--at", type=parse_time, help=_AT_HELP)
        p.set_defaults(run=cmd_job_run, job=job)


def _add_operator(commands: Any, common: argparse.ArgumentParser) -> None:
    espace = _actions(commands, common, "espace", "operator orders on an espace (BR-15)")
    for order, text in (("suspend", "suspend for fraud (the holder is informed; closed after 6 weeks)"),
                        ("lift", "lift a suspension (the holder's objection was upheld)")):
        p = espace.add_parser(order, parents=[common], help=text)
        p.add_argument("espace_id", metavar="ESPACE_ID")
        p.add_argument("--reason", default="operator", help="ticket reference (never personal data)")
        p.set_defaults(run=cmd_espace_order)

    p = commands.add_parser("invoke", parents=[common], help="invoke any function with a JSON event")
    p.add_argument("function", metavar="FUNCTION", choices=sorted(HANDLERS),
                   help="one of: " + ", ".join(sorted(HANDLERS)))
    p.add_argument("--event", required=True, metavar="FILE", help="e.g. events/wave.json")
    p.set_defaults(run=cmd_invoke)

    p = commands.add_parser("outbox", parents=[common], help="what was sent: e-mails, SMS, letters")
    p.add_argument("--to", metavar="RECIPIENT", help="an e-mail, a mobile, or part of a postal address")
    p.add_argument("--json", action="store_true", help="a JSON list of {channel, recipient, template, data, sent_at}")
    p.set_defaults(run=cmd_outbox)


def _add_pro_token(commands: Any, common: argparse.ArgumentParser) -> None:
    from mes.domain.professionals import PROFESSIONS

    p = commands.add_parser("pro-token", parents=[common],
                            help="a PS token signed by the local Pro Santé Connect stand-in")
    p.add_argument("--rpps", required=True, help="the 11-digit RPPS number")
    p.add_argument("--profession", required=True,
                   help="profession code: " + ", ".join(f"{c} {label}" for c, label in PROFESSIONS.items()))
    p.add_argument("--structure", metavar="FINESS", help="FINESS site number or structure id (optional)")
    p.add_argument("--name", help='display name, e.g. "Marie Curie" (optional)')
    p.add_argument("--occupational", action="store_true", help="an occupational physician (médecin du travail)")
    p.add_argument("--ttl", type=int, default=3600, help="validity in seconds (default 3600)")
    p.add_argument("--at", type=parse_time, help="issue time, ISO 8601 (default: now)")
    p.set_defaults(run=cmd_pro_token)


def _add_migrations(commands: Any, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("backfill-doc-refs", parents=[common],
                            help="one-off, after deploying issue 12: set doc_ref on documents written before the "
                                 "by_document index (FHIR reads by id); idempotent, re-runnable")
    p.add_argument("--table", help="the deployed documents table, in AWS (default credentials); "
                                   "without it, the local stack's")
    p.add_argument("--region", default=REGION, help=f"with --table (default {REGION})")
    p.add_argument("--segments", type=int, default=4, help="parallel Scan segments (default 4)")
    p.add_argument("--page-size", type=_positive_int, default=None, help="items per Scan page (default: 1 MB pages)")
    p.set_defaults(run=cmd_backfill_doc_refs)


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="mes", parents=[common], description="Drive the mes local stack (start it with `make run`).",
        epilog="Environment: MES_AWS_ENDPOINT (default http://127.0.0.1:5000).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_add_imports, _add_jobs, _add_operator, _add_pro_token, _add_migrations):
        add(commands, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    try:
        status = args.run(args)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        status = exc.status
    except KeyboardInterrupt:
        status = 130
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
