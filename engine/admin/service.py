"""Administration: units, users and their tasks, lane mapping, calendars, deadline table.
Every change is audited; administrators never see case contents."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from engine.audit import service as audit
from engine.cases.models import Case
from engine.deadlines import service as deadlines
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes
from engine.access import authority
from engine.inbox.models import Task, TaskCandidateUser
from engine.org import service as org
from engine.org.models import ROLES, Unit, User, UserRole
from engine.processes import store
from engine.processes.models import ProcessDefinition
from engine.access import recusal
from engine.recusal.models import Relation
from engine.runtime import Runtime
from engine.supervision import villages

ADMIN = "administrator"
UNIT_KINDS = ("commission", "office", "zone", "township", "village", "department", "external")


def require_admin(user: User) -> None:
    """Only administrators manage the organisation."""
    if ADMIN not in user.roles:
        raise Forbidden("this needs the administrator role", reason="admin_required")


# ---------------------------------------------------------------------------------------------
# Eligible assignees


def _describe_users(session: Session, users: list[User]) -> list[dict]:
    codes = dict(session.execute(select(Unit.id, Unit.code)).all()) if users else {}
    return [{"username": u.username, "display_name": u.display_name, "unit": codes.get(u.unit_id),
             "roles": sorted(u.roles), "active": u.active, "created_at": u.created_at}
            for u in users]


def _may_take(session: Session, user: User, task: Task, recused: set[int]) -> bool:
    if not user.active or user.id in recused:
        return False
    return authority.eligible(user, task, session)


def _may_receive(session: Session, task: Task, departing: User, target: User,
                 recused: set[int]) -> bool:
    """May `target` carry on a task that `departing` holds?"""
    if target.id == departing.id:
        return False
    if _offered_alone(session, task, departing):
        return target.active and target.id not in recused
    return _may_take(session, target, task, recused)


def eligible_assignees(session: Session, *, user: User, task_id: str) -> list[dict]:
    """Who may take the task (recused users never appear); for supervisors over its unit."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("task %(id)s not found", reason="task_not_found", params={"id": task_id})
    if not authority.may_supervise(session, user, task) and ADMIN not in user.roles:
        raise Forbidden("only a supervisor of the task's unit may list who can take it",
                        reason="task_candidates_forbidden")
    # A task offered to no one in particular has no list: anyone may take it.
    found = authority.eligible_users(session, task) if (
        task.candidate_unit_id is not None or task.candidate_user_id is not None) else []
    return _describe_users(session, found)


# ---------------------------------------------------------------------------------------------
# Units


def _unit_dict(unit: Unit, codes: dict[int, str]) -> dict:
    return {"code": unit.code, "name": unit.name, "kind": unit.kind,
            "parent": codes.get(unit.parent_id), "active": unit.active,
            "depth": unit.path.count("/") - 2}


def list_units(session: Session, *, actor: User) -> list[dict]:
    """Every unit in tree order (a unit is followed by the units below it)."""
    require_admin(actor)
    units = list(session.scalars(select(Unit).order_by(Unit.path)))
    codes = {u.id: u.code for u in units}
    return [_unit_dict(u, codes) for u in units]


def describe_unit(session: Session, unit: Unit) -> dict:
    """One unit as the API lists it."""
    parent = session.get(Unit, unit.parent_id) if unit.parent_id else None
    return _unit_dict(unit, {parent.id: parent.code} if parent else {})


def _active_unit(session: Session, code: str, field: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise Invalid("unit %(unit)r not found", reason="unit_not_found", params={"unit": code},
                      fields={field: [notes.note("unknown_unit")]})
    if not unit.active:
        raise Invalid("unit %(unit)r is retired", reason="unit_retired", params={"unit": code},
                      fields={field: [notes.note("retired_unit")]})
    return unit


def create_unit(session: Session, runtime: Runtime, *, actor: User, code: str, name: str,
                kind: str, parent: str | None) -> Unit:
    """A new unit below `parent` (or a new root)."""
    require_admin(actor)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise Invalid("code and name are required", reason="unit_code_name_required",
                      fields={("name" if code else "code"): [notes.note("required")]})
    if kind not in UNIT_KINDS:
        raise Invalid("unknown kind %(value)r", reason="unit_kind_unknown", params={"value": kind},
                      fields={"kind": [notes.note("one_of", options=", ".join(UNIT_KINDS))]})
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Invalid("unit %(unit)r exists", reason="unit_exists", params={"unit": code},
                      fields={"code": [notes.note("exists")]})
    if parent:
        _active_unit(session, parent, "parent")
    unit = org.ensure_unit(session, code=code, name=name, kind=kind, parent_code=parent or None)
    audit.record(session, at=runtime.clock.now(), actor=actor.username, action="unit_created",
                 detail={"code": code, "name": name, "kind": kind, "parent": parent or None})
    if kind == "village":  # petitions that name this village in free text are linked to it
        linked = villages.link(session)
        if linked:
            audit.record(session, at=runtime.clock.now(), actor=actor.username,
                         action="petition_villages_linked",
                         detail={"unit": code, "petitions": linked})
    return unit


def update_unit(session: Session, runtime: Runtime, *, actor: User, code: str,
                name: str | None = None, parent: str | None = None) -> Unit:
    """Rename a unit, or move it (with its whole subtree) below another unit."""
    require_admin(actor)
    unit = org.get_unit(session, code)
    now = runtime.clock.now()
    if name is not None and name.strip() and name.strip() != unit.name:
        old = unit.name
        unit.name = name.strip()
        audit.record(session, at=now, actor=actor.username, action="unit_renamed",
                     detail={"code": code, "from": old, "to": unit.name})
    if parent is not None:
        target = _active_unit(session, parent, "parent")
        if target.path.startswith(unit.path):
            raise Invalid("%(unit)s cannot move below itself or a unit below it",
                          reason="unit_move_into_itself", params={"unit": code},
                          fields={"parent": [notes.note("own_subtree")]})
        if target.id != unit.parent_id:
            old_parent = session.get(Unit, unit.parent_id) if unit.parent_id else None
            old_path, new_path = unit.path, f"{target.path}{unit.id}/"
            for row in session.scalars(select(Unit).where(Unit.path.startswith(old_path))):
                row.path = new_path + row.path[len(old_path):]
            unit.parent_id = target.id
            audit.record(session, at=now, actor=actor.username, action="unit_moved",
                         detail={"code": code, "from": old_parent.code if old_parent else None,
                                 "to": target.code})
    session.flush()
    return unit


def retire_unit(session: Session, runtime: Runtime, *, actor: User, code: str) -> Unit:
    """Retire a unit and the units below it; refused while any has open tasks or active users."""
    require_admin(actor)
    unit = org.get_unit(session, code)
    if not unit.active:
        raise Conflict("unit %(unit)r is already retired", reason="unit_already_retired",
                       params={"unit": code})
    ids = org.subtree_ids(session, unit)
    tasks = session.scalar(select(func.count(Task.id)).where(
        Task.status == "open", Task.candidate_unit_id.in_(ids))) or 0
    people = list(session.scalars(select(User.username).where(
        User.unit_id.in_(ids), User.active.is_(True)).order_by(User.username)))
    reasons = ([notes.note("open_tasks", n=tasks)] if tasks else []) + \
              ([notes.note("active_users", users=", ".join(people))] if people else [])
    users = ", ".join(people)
    if tasks and people:
        raise Conflict("unit %(unit)s cannot be retired: it or a unit below it has %(n)s open "
                       "task(s) and active users %(users)s; move them first",
                       reason="unit_retire_blocked_both",
                       params={"unit": code, "n": tasks, "users": users}, fields={"unit": reasons})
    if tasks:
        raise Conflict("unit %(unit)s cannot be retired: it or a unit below it has %(n)s open "
                       "task(s); move them first", reason="unit_retire_blocked_tasks",
                       params={"unit": code, "n": tasks}, fields={"unit": reasons})
    if people:
        raise Conflict("unit %(unit)s cannot be retired: it or a unit below it has active users "
                       "%(users)s; move them first", reason="unit_retire_blocked_users",
                       params={"unit": code, "users": users}, fields={"unit": reasons})
    session.execute(update(Unit).where(Unit.id.in_(ids)).values(active=False))
    session.refresh(unit)
    audit.record(session, at=runtime.clock.now(), actor=actor.username, action="unit_retired",
                 detail={"code": code, "units": len(ids)})
    return unit


# ---------------------------------------------------------------------------------------------
# Users


def list_users(session: Session, *, actor: User) -> list[dict]:
    """Every user, active or not, by username."""
    require_admin(actor)
    return _describe_users(session, list(session.scalars(select(User).order_by(User.username))))


def describe_user(session: Session, user: User) -> dict:
    """One user as the API lists it."""
    return _describe_users(session, [user])[0]


def _check_roles(roles: list[str]) -> list[str]:
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise Invalid("roles are %(roles)s", reason="user_roles_invalid",
                      params={"roles": ", ".join(ROLES)},
                      fields={"roles": [notes.note("unknown_role", role=bad[0]) if bad
                                        else notes.note("at_least_one")]})
    return list(dict.fromkeys(roles))


def create_user(session: Session, runtime: Runtime, *, actor: User, username: str,
                display_name: str, unit: str, roles: list[str], password: str) -> User:
    """A new user with one or more roles in an active unit."""
    require_admin(actor)
    _active_unit(session, unit, "unit")
    return org.create_user(session, username=(username or "").strip(), roles=_check_roles(roles),
                           unit_code=unit, password=password, now=runtime.clock.now(),
                           actor=actor.username, display_name=display_name or "")


def update_user(session: Session, runtime: Runtime, *, actor: User, username: str,
                display_name: str | None = None, unit: str | None = None,
                roles: list[str] | None = None) -> User:
    """Change a user's name, unit or roles."""
    require_admin(actor)
    user = org.get_user(session, username)
    changes: dict = {}
    if display_name is not None and display_name != user.display_name:
        changes["display_name"] = {"from": user.display_name, "to": display_name}
        user.display_name = display_name
    if unit is not None:
        target = _active_unit(session, unit, "unit")
        if target.id != user.unit_id:
            changes["unit"] = {"from": session.get(Unit, user.unit_id).code, "to": unit}
            user.unit_id = target.id
    if roles is not None:
        wanted = _check_roles(roles)
        if set(wanted) != user.roles:
            changes["roles"] = {"from": sorted(user.roles), "to": sorted(wanted)}
            keep = [r for r in user.role_rows if r.role in wanted]
            have = {r.role for r in keep}
            user.role_rows = keep + [UserRole(role=r) for r in wanted if r not in have]
    if "roles" in changes or "unit" in changes:
        # What the user may see changed: their sessions end (a new login reads the new roles).
        org.end_sessions(session, user, revoke_tokens=False, now=runtime.clock.now())
        runtime.token_cache.clear()
    session.flush()
    if changes:
        audit.record(session, at=runtime.clock.now(), actor=actor.username, action="user_updated",
                     detail={"username": username, "changes": changes})
    session.refresh(user)
    return user


def set_password(session: Session, runtime: Runtime, *, actor: User, username: str,
                 password: str) -> User:
    """Reset a user's password (the policy of engine.org.service.check_password): their
    sessions end, their API tokens are revoked, and they choose their own at next login."""
    require_admin(actor)
    user = org.get_user(session, username)
    org.set_password(session, user, password=password, now=runtime.clock.now(),
                     actor=actor.username, must_change=user.id != actor.id)
    runtime.token_cache.clear()
    return user


def _only_named_candidate(user: User):
    """The task is offered by name (BPMN `candidateUsers`) to nobody active but `user`."""
    other = TaskCandidateUser.__table__.alias("other")
    return and_(
        Task.candidate_unit_id.is_(None), Task.candidate_user_id.is_(None),
        exists().where(TaskCandidateUser.task_id == Task.id,
                       TaskCandidateUser.user_id == user.id),
        ~exists().where(other.c.task_id == Task.id, other.c.user_id != user.id,
                        other.c.user_id == User.id, User.active.is_(True)))


def held_tasks(session: Session, user: User) -> list[Task]:
    """Open tasks the user holds: assigned to them, offered to them alone, or offered by name to
    them and no other active user."""
    return list(session.scalars(select(Task).where(Task.status == "open", or_(
        Task.assignee_id == user.id,
        (Task.candidate_user_id == user.id) & Task.assignee_id.is_(None),
        Task.assignee_id.is_(None) & _only_named_candidate(user))).order_by(
        Task.created_at, Task.id)))


def _offered_alone(session: Session, task: Task, departing: User) -> bool:
    """Was the task offered to the departing user alone (no lane mapping, or the only active
    named candidate)? Then anyone active and not recused may carry it on."""
    if task.candidate_unit_id is not None:
        return False
    if task.candidate_user_id == departing.id:
        return True
    return task.candidate_user_id is None and session.scalar(
        select(func.count()).select_from(Task).where(
            Task.id == task.id, _only_named_candidate(departing))) == 1


def _task_refs(session: Session, tasks: list[Task]) -> list[dict]:
    ids = {t.case_id for t in tasks if t.case_id}
    numbers = dict(session.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all()) \
        if ids else {}
    return [{"task_id": t.id, "name": t.name, "process_key": t.process_key,
             "case_number": numbers.get(t.case_id)} for t in tasks]


def transfer_options(session: Session, *, actor: User, username: str) -> dict:
    """The open tasks a user holds, each with who may take it over, and who may take them all."""
    require_admin(actor)
    user = org.get_user(session, username)
    held = held_tasks(session, user)
    refs = _task_refs(session, held)
    active = list(session.scalars(select(User).where(User.active.is_(True))
                                  .order_by(User.username))) if held else []
    for task, ref in zip(held, refs, strict=False):
        recused = recusal.recused_user_ids(session, task.case_id)
        ref["eligible"] = [{"username": u.username, "display_name": u.display_name}
                           for u in active if _may_receive(session, task, user, u, recused)]
    common = set.intersection(*({e["username"] for e in r["eligible"]} for r in refs)) \
        if refs else set()
    return {"user": describe_user(session, user), "tasks": refs,
            "all_to": [{"username": u.username, "display_name": u.display_name}
                       for u in active if u.username in common]}


def deactivate_user(session: Session, runtime: Runtime, *, actor: User, username: str,
                    transfers: list[dict] | None = None, all_to: str | None = None) -> dict:
    """Deactivate a user, first giving each open task they hold to an eligible user."""
    require_admin(actor)
    user = org.get_user(session, username)
    if not user.active:
        raise Conflict("user %(user)r is already inactive", reason="user_already_inactive",
                       params={"user": username})
    if user.id == actor.id:
        raise Invalid("you cannot deactivate yourself", reason="user_deactivate_self",
                      fields={"username": [notes.note("yourself")]})
    held = {t.id: t for t in held_tasks(session, user)}
    plan = _transfer_plan(session, username, held, transfers or [], all_to)
    targets = _transfer_targets(session, user, held, plan)
    now = runtime.clock.now()
    moved = [_transfer(session, runtime, actor=actor, user=user, task=held[task_id],
                       target=targets[to], now=now) for task_id, to in plan.items()]
    # Offered by name to others too: the others carry on; the departing user is no candidate.
    session.execute(delete(TaskCandidateUser).where(
        TaskCandidateUser.user_id == user.id,
        TaskCandidateUser.task_id.in_(select(Task.id).where(Task.status == "open"))))
    user.active = False
    org.end_sessions(session, user, revoke_tokens=True, now=now)
    runtime.token_cache.clear()
    audit.record(session, at=now, actor=actor.username, action="user_deactivated",
                 detail={"username": username, "transferred": len(moved)})
    session.flush()
    return {"user": describe_user(session, user), "transferred": moved}


def _transfer_plan(session: Session, username: str, held: dict[str, Task],
                   transfers: list[dict], all_to: str | None) -> dict[str, str]:
    """Task id -> the username it goes to: as listed, the rest to `all_to`; refused while a
    held task has nowhere to go."""
    plan: dict[str, str] = {}
    for item in transfers:
        if item["task_id"] not in held:
            raise Invalid("task %(id)s is not an open task of %(user)s",
                          reason="transfer_task_not_held",
                          params={"id": item["task_id"], "user": username},
                          fields={"transfers": [notes.note("task_not_held", id=item["task_id"], user=username)]})
        plan[item["task_id"]] = item["to"]
    for task_id in held:
        if task_id not in plan and all_to:
            plan[task_id] = all_to
    missing = [t for t in held.values() if t.id not in plan]
    if missing:
        refs = _task_refs(session, missing)
        raise Conflict("%(user)s holds %(n)s open task(s) that must be transferred first: "
                       "%(tasks)s", reason="user_holds_tasks",
                       params={"user": username, "n": len(missing), "tasks": ", ".join(
                           f"{r['name']} ({r['case_number'] or r['task_id']})" for r in refs)},
                       fields={"transfers": [notes.note("task", id=r["task_id"]) for r in refs]}, details=refs)
    return plan


def _transfer_targets(session: Session, user: User, held: dict[str, Task],
                      plan: dict[str, str]) -> dict[str, User]:
    """The receiving users by name, each checked as eligible for every task it receives."""
    targets: dict[str, User] = {}
    errors: list[notes.Note] = []
    for task_id, to in plan.items():
        task = held[task_id]
        target = targets.get(to) or session.scalar(select(User).where(User.username == to))
        if target is None:
            errors.append(notes.note("target_unknown", id=task_id, user=to))
            continue
        targets[to] = target
        if not _may_receive(session, task, user, target,
                            recusal.recused_user_ids(session, task.case_id)):
            errors.append(notes.note("target_not_eligible", id=task_id, user=to))
    if errors:
        raise Invalid("some transfer targets are not eligible", reason="transfer_targets_not_eligible",
                      fields={"transfers": errors})
    return targets


def _transfer(session: Session, runtime: Runtime, *, actor: User, user: User, task: Task,
              target: User, now) -> dict:
    """Give one held task to `target` (its instance locked), audited."""
    store.lock_instance(session, runtime, task.instance_id)
    session.refresh(task)
    if task.status != "open":
        raise Conflict("task %(id)s is %(status)s", reason="task_not_open",
                       params={"id": task.id, "status": task.status})
    named = task.candidate_unit_id is None and task.candidate_user_id is None and \
        session.get(TaskCandidateUser, (task.id, user.id)) is not None
    if task.candidate_unit_id is None and task.candidate_user_id == user.id:
        task.candidate_user_id = target.id
    if named and session.get(TaskCandidateUser, (task.id, target.id)) is None:
        session.add(TaskCandidateUser(task_id=task.id, user_id=target.id))
    if task.assignee_id is not None or task.candidate_unit_id is not None or named:
        task.assignee_id = target.id
    task.version += 1
    audit.record(session, at=now, actor=actor.username, action="task_transferred",
                 case_id=task.case_id, instance_id=task.instance_id, task_id=task.id,
                 task_name=task.name,
                 detail={"from": user.username, "to": target.username,
                         "reason": "user deactivated"})
    return {"task_id": task.id, "to": target.username}


# ---------------------------------------------------------------------------------------------
# Relations (recusal data)


def describe_relations(session: Session, runtime: Runtime, rows: list[Relation]) -> list[dict]:
    """Relations as the API lists them: whose, to whom, declared by whom and why."""
    names = runtime.names.usernames(session, {r.user_id for r in rows} |
                                    {r.declared_by_id for r in rows})
    return [{"id": r.id, "username": names.get(r.user_id), "person_name": r.person_name,
             "person_kind": r.person_kind, "relation": r.relation, "reason": r.reason,
             "status": r.status, "declared_by": names.get(r.declared_by_id),
             "created_at": r.created_at, "ended_at": r.ended_at, "end_reason": r.end_reason}
            for r in rows]


def list_relations(session: Session, runtime: Runtime, *, actor: User) -> list[dict]:
    """Declared relations: the caller's own; supervisors and administrators see all."""
    stmt = select(Relation).order_by(Relation.created_at, Relation.id)
    if not {"supervisor", ADMIN} & actor.roles:
        stmt = stmt.where(Relation.user_id == actor.id)
    return describe_relations(session, runtime, list(session.scalars(stmt)))


# ---------------------------------------------------------------------------------------------
# Lanes, calendars, deadline table


def lanes(session: Session, runtime: Runtime, *, actor: User) -> list[dict]:
    """Per deployed process key and version: each lane of its user tasks, how it maps and
    whether that mapping is the version's own or config.yaml's."""
    require_admin(actor)
    out = []
    for definition in session.scalars(select(ProcessDefinition).order_by(
            ProcessDefinition.key, ProcessDefinition.version)):
        compiled = store.compiled_for(session, runtime, definition.id)
        groups: dict[tuple[str, str | None], list[str]] = {}
        for element_id, info in compiled.human_tasks.items():
            groups.setdefault((info.get("process") or definition.key, info["lane"]),
                              []).append(element_id)
        rows = []
        for (process, lane), elements in sorted(groups.items(),
                                                key=lambda kv: (kv[0][0], kv[0][1] or "")):
            stored = definition.lanes or {}
            owner = process if authority.lane_mapping(runtime.settings, process, stored) \
                else definition.key
            mapping = authority.lane_mapping(runtime.settings, owner, stored)
            entry = mapping.get(lane or "") if mapping else None
            # Kept with the version (drawn in its file, or pinned by migration 0031), or read
            # from config.yaml now (a file deployed without lane properties).
            kept = bool(entry) and (lane or "") in (stored.get(owner) or {})
            warning = None
            if not mapping:
                warning = ("the process has no lane mapping: its tasks are offered to the user "
                           "who started the instance")
            elif not entry:
                warning = (f"lane {lane!r} maps to no role or unit: its tasks are offered to the "
                           "user who started the instance")
            entry = entry or {}
            rows.append({"process": process, "lane": lane, "tasks": sorted(elements),
                         # A step drawn without a name (the engine names it by its id) is None.
                         "task_names": [None if compiled.human_tasks[e].get("name") in (None, e)
                                        else compiled.human_tasks[e]["name"]
                                        for e in sorted(elements)],
                         "mapped": bool(entry), "role": entry.get("role"),
                         "unit": entry.get("unit"), "unit_from": entry.get("unit_from"),
                         "user_from": entry.get("user_from"), "warning": warning,
                         "source": ("version" if kept else "config") if entry else None})
        out.append({"key": definition.key, "name": definition.name or definition.key,
                    "version": definition.version, "lanes": rows,
                    "warnings": sum(1 for r in rows if not r["mapped"])})
    return out


def calendar_status(session: Session, runtime: Runtime, *, actor: User) -> dict:
    """Which years are loaded and from where."""
    require_admin(actor)
    return deadlines.calendar_status(session, runtime)


def _with_shifts(runtime: Runtime, result: dict) -> dict:
    moved = []
    for row in result["moved"]:
        before = datetime.fromisoformat(row["from"]) if row["from"] else None
        after = datetime.fromisoformat(row["to"])
        shift = (after - before) if before else None
        moved.append({**row,
                      "from": runtime.clock.local(before) if before else None,
                      "to": runtime.clock.local(after),
                      "shift_days": (runtime.clock.local(after).date() -
                                     runtime.clock.local(before).date()).days if before else None,
                      "shift_seconds": int(shift.total_seconds()) if shift else None})
    return {"year": result["year"], "days": result["days"], "count": len(moved), "moved": moved}


def preview_calendar(runtime: Runtime, *, actor: User, text: str, file_name: str) -> dict:
    """What loading the file would do (year, days, moved deadlines); nothing is changed."""
    require_admin(actor)
    try:
        # A read is always rolled back: load for real, look, and let it go.
        result = runtime.read(lambda uow: deadlines.load_calendar(
            uow.session, runtime, text=text, file_name=file_name, actor=actor.username))
    finally:
        runtime.calendar_cache = None  # the cached calendar may hold the previewed year
    return {**_with_shifts(runtime, result), "applied": False}


def apply_calendar(session: Session, runtime: Runtime, *, actor: User, text: str,
                   file_name: str) -> dict:
    """Load the year's arrangement and recompute open deadlines (audited)."""
    require_admin(actor)
    result = deadlines.load_calendar(session, runtime, text=text, file_name=file_name,
                                     actor=actor.username)
    return {**_with_shifts(runtime, result), "applied": True}


def deadline_table(runtime: Runtime, *, actor: User) -> list[dict]:
    """The effective deadline table from config.yaml (read-only)."""
    require_admin(actor)
    return [{"key": key, "amount": int(c.get("amount", 0)), "unit": c.get("unit"),
             "starts": c.get("starts"), "extendable": bool(c.get("extendable")),
             "basis": c.get("basis"), "met": c.get("met"), "unused": c.get("unused")}
            for key, c in deadlines.config(runtime).items()]
