"""``evaluate(policy, facts) -> Verdict``: pure, deterministic, no I/O.

Precedence, in full:

* Every rule is evaluated, in file order. Shadow rules are recorded (``shadow_rule_ids`` and
  ``hits``) and never change anything else in the verdict.
* **act beats review beats allow.** If a live ``act`` rule matched, the verdict is ``act`` and
  the *first* such rule in file order supplies the decision, the case and the strike. Evidence
  preservation and authority notifications are the union over every live ``act`` that matched:
  a rule placed above must never cause evidence or a mandatory report to be dropped.
* Review requests are collected from every live ``review`` rule and every live ``act`` that
  carries a ``review``: one per queue (its highest priority), ordered by priority, highest
  first, then file order. The verdict is ``review`` when there is no act.
* **Least exposure.** Once anything routes the item to a queue restricted to a role (the
  child-safety queue), requests for unrestricted queues are dropped: material suspected to be
  CSAM is only ever queued for people cleared to see it.
* Otherwise the verdict is ``allow``: by the first live ``allow`` rule, or by default when no
  live rule matched ("no rule matched").
"""

from __future__ import annotations

import json

from rempart.policy.facts import Facts, MatchFact
from rempart.policy.schemas import (
    ClassifierCond,
    Condition,
    ItemCond,
    MatchCond,
    NoticeCond,
    Policy,
    ReviewSpec,
    Rule,
    Scalar,
    StrikesCond,
)
from rempart.policy.verdict import (
    CaseRequest,
    ResolvedDecision,
    ReviewRequest,
    RuleHit,
    StrikeRequest,
    Verdict,
)

SOURCE_TYPES = {
    "article_16": "SOURCE_ARTICLE_16",
    "trusted_flagger": "SOURCE_TRUSTED_FLAGGER",
    "authority_order": "SOURCE_TYPE_OTHER_NOTIFICATION",
    "other": "SOURCE_TYPE_OTHER_NOTIFICATION",
}
Result = tuple[bool, list[str]]


def _num(x: float) -> str:
    return f"{x:g}"


def _same(a: Scalar, b: Scalar) -> bool:
    """Equality that keeps booleans apart from numbers (``True`` is not ``1`` here)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def describe(cond: Condition) -> str:
    """A condition as short text, for explanations of ``not``."""
    kind = cond.kind()
    if kind in ("all", "any"):
        children = cond.all_ if kind == "all" else cond.any_
        return f"{kind}({', '.join(describe(c) for c in children or [])})"
    if kind == "not":
        assert cond.not_ is not None
        return f"not({describe(cond.not_)})"
    leaf = getattr(cond, kind)
    if kind == "provenance":
        fields = {k: v[0] if len(v) == 1 else v for k, v in leaf.items()}
    else:
        fields = leaf.model_dump(exclude_none=True, exclude_defaults=True)
    parts = [
        f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in fields.items()
    ]
    return " ".join([kind, *parts])


def _match(c: MatchCond, facts: Facts) -> Result:
    names = c.bank_names()
    found: list[MatchFact] = []
    for m in facts.matches:
        if m.suppressed and not c.include_suppressed:
            continue
        if names is not None and m.bank not in names:
            continue
        if c.category is not None and m.dsa_category not in c.category:
            continue
        if c.specification is not None and not set(c.specification) & set(m.specifications):
            continue
        if c.source is not None and m.source not in c.source:
            continue
        if c.label is not None and not set(c.label) & set(m.labels):
            continue
        if c.signal_type is not None and m.signal_type not in c.signal_type:
            continue
        if c.max_distance is not None and m.distance > c.max_distance:
            continue
        found.append(m)
    if not found:
        return False, []
    best = min(found, key=lambda m: (m.distance, m.bank, m.content_id or 0))
    text = f"match bank={best.bank} source={best.source}"
    if best.dsa_category:
        text += f" category={best.dsa_category}"
    if c.specification is not None:
        text += f" specification={','.join(s for s in best.specifications if s in c.specification)}"
    if c.label is not None:
        text += f" label={','.join(x for x in best.labels if x in c.label)}"
    text += f" {best.signal_type} distance={best.distance}"
    if c.max_distance is not None:
        text += f" <= {c.max_distance}"
    if best.orientation != "original":
        text += f" via={best.orientation}"
    if best.content_id is not None:
        text += f" entry={best.content_id}"
    if best.suppressed:
        text += " (suppressed by a negative bank)"
    if len(found) > 1:
        text += f" (+{len(found) - 1} more)"
    return True, [text]


def _classifier(c: ClassifierCond, facts: Facts) -> Result:
    fact = facts.classifiers.get(c.name)
    if fact is None:
        return False, []
    if c.min_score is not None and fact.score < c.min_score:
        return False, []
    if c.max_score is not None and fact.score > c.max_score:
        return False, []
    if c.flagged is not None and bool(fact.flagged) != c.flagged:
        return False, []
    text = f"classifier {c.name} score={_num(fact.score)}"
    if c.flagged is not None:
        text += " (at or above its calibrated threshold)" if c.flagged else " (below its threshold)"
    if c.min_score is not None:
        text += f" >= {_num(c.min_score)}"
    if c.max_score is not None:
        text += f" <= {_num(c.max_score)}"
    if fact.model or fact.version:
        text += f" (model {fact.model or '?'} {fact.version or '?'})".rstrip()
    return True, [text]


def _provenance(want: dict[str, list[Scalar]], facts: Facts) -> Result:
    parts = []
    for key, values in want.items():
        if key not in facts.provenance:
            return False, []
        have = facts.provenance[key]
        have_list = have if isinstance(have, list) else [have]
        hit = next((h for h in have_list if any(_same(h, w) for w in values)), None)
        if hit is None:
            return False, []
        parts.append(f"{key}={hit if isinstance(hit, str) else json.dumps(hit)}")
    return True, [f"provenance {' '.join(parts)}"]


def _notice(c: NoticeCond, facts: Facts) -> Result:
    n = facts.notice
    if n is None:
        return False, []
    if c.source_type is not None and n.source_type not in c.source_type:
        return False, []
    if c.category is not None and n.category not in c.category:
        return False, []
    if c.specification is not None and not set(c.specification) & set(n.specifications):
        return False, []
    if c.threat_to_life is not None and n.threat_to_life != c.threat_to_life:
        return False, []
    text = f"notice source_type={n.source_type}"
    if n.category:
        text += f" category={n.category}"
    if c.specification is not None:
        text += f" specification={','.join(s for s in n.specifications if s in c.specification)}"
    if c.threat_to_life is not None:
        text += f" threat_to_life={str(n.threat_to_life).lower()}"
    return True, [text]


def _strikes(c: StrikesCond, facts: Facts) -> Result:
    have = facts.account.strikes if facts.account else 0.0
    if c.min is not None and have < c.min:
        return False, []
    if c.max is not None and have > c.max:
        return False, []
    text = f"strikes {_num(have)}"
    if c.min is not None:
        text += f" >= {_num(c.min)}"
    if c.max is not None:
        text += f" <= {_num(c.max)}"
    return True, [text]


def _item(c: ItemCond, facts: Facts) -> Result:
    item = facts.item
    parts = []
    if c.content_type is not None:
        hit = [t for t in item.content_type if t in c.content_type]
        if not hit:
            return False, []
        parts.append(f"content_type={','.join(hit)}")
    if c.territory is not None:
        if item.territory not in c.territory:
            return False, []
        parts.append(f"territory={item.territory}")
    if c.language is not None:
        if item.language not in c.language:
            return False, []
        parts.append(f"language={item.language}")
    return True, [f"item {' '.join(parts)}"]


def check(cond: Condition, facts: Facts) -> Result:
    """Whether ``cond`` holds for ``facts``, with the explanation of every leaf that held."""
    if cond.all_ is not None:
        results = [check(c, facts) for c in cond.all_]
        ok = all(r[0] for r in results)
        return ok, [e for r in results for e in r[1]] if ok else []
    if cond.any_ is not None:
        results = [check(c, facts) for c in cond.any_]
        return any(r[0] for r in results), [e for r in results if r[0] for e in r[1]]
    if cond.not_ is not None:
        inner, _ = check(cond.not_, facts)
        return (False, []) if inner else (True, [describe(cond)])
    if cond.match is not None:
        return _match(cond.match, facts)
    if cond.classifier is not None:
        return _classifier(cond.classifier, facts)
    if cond.provenance is not None:
        return _provenance(cond.provenance, facts)
    if cond.notice is not None:
        return _notice(cond.notice, facts)
    if cond.strikes is not None:
        return _strikes(cond.strikes, facts)
    assert cond.item is not None
    return _item(cond.item, facts)


def _hit(rule: Rule, explanations: list[str]) -> RuleHit:
    review = rule.outcome.review or (rule.outcome.act.review if rule.outcome.act else None)
    return RuleHit(
        rule_id=rule.id,
        mode=rule.mode,
        outcome=rule.outcome.kind,
        queue=review.queue if review else None,
        priority=review.priority if review else None,
        explanations=explanations,
    )


def _review(policy: Policy, rule: Rule, spec: ReviewSpec) -> ReviewRequest:
    queue = policy.queues[spec.queue]
    role = queue.restricted_to_role
    return ReviewRequest(
        queue=spec.queue,
        priority=spec.priority,
        sla_hours=spec.sla_hours or queue.sla_hours,
        restricted_to_role=role.value if role else None,
        rule_id=rule.id,
        suspected_category=spec.suspected.category if spec.suspected else None,
        suspected_specifications=list(spec.suspected.specifications) if spec.suspected else [],
    )


def _reviews(policy: Policy, matched: list[Rule]) -> list[ReviewRequest]:
    wanted: list[ReviewRequest] = []
    for rule in matched:
        spec = rule.outcome.review or (rule.outcome.act.review if rule.outcome.act else None)
        if spec is not None:
            wanted.append(_review(policy, rule, spec))
    wanted.sort(key=lambda r: -r.priority)  # stable: file order among equal priorities
    seen: set[str] = set()
    out = []
    for r in wanted:
        if r.queue not in seen:
            seen.add(r.queue)
            out.append(r)
    return out


def _restrict(reviews: list[ReviewRequest], case: CaseRequest | None) -> list[ReviewRequest]:
    roles = {r.restricted_to_role for r in reviews if r.restricted_to_role}
    if case is not None and case.restricted_to_role:
        roles.add(case.restricted_to_role)
    if not roles:
        return reviews
    return [r for r in reviews if r.restricted_to_role in roles]


def _decision(
    policy: Policy, rule: Rule, facts: Facts, explanations: list[str]
) -> ResolvedDecision:
    act = rule.outcome.act
    assert act is not None
    notice = facts.notice
    text = act.decision.decision_facts or (
        f"Automated decision by rule {rule.id} of policy {policy.name} version "
        f"{policy.version}: {'; '.join(explanations)}."
    )
    return ResolvedDecision.model_validate(
        {
            **act.decision.model_dump(),
            "decision_facts": text[:5000],
            "source_type": SOURCE_TYPES[notice.source_type] if notice else "SOURCE_VOLUNTARY",
            "source_identity": notice.trusted_flagger_id
            if notice and notice.source_type == "trusted_flagger"
            else None,
            "content_type": list(facts.item.content_type),
            "account_type": facts.account.account_type if facts.account else None,
        }
    )


def evaluate(policy: Policy, facts: Facts) -> Verdict:
    """Evaluate every rule of ``policy`` on ``facts``; see the module docstring for precedence."""
    hits: list[RuleHit] = []
    live: list[tuple[Rule, list[str]]] = []
    shadow: list[str] = []
    for rule in policy.rules:
        ok, explanations = check(rule.when, facts)
        if not ok:
            continue
        hits.append(_hit(rule, explanations))
        if rule.mode == "shadow":
            shadow.append(rule.id)
        else:
            live.append((rule, explanations))
    base = Verdict(
        policy=policy.name,
        policy_version=policy.version,
        outcome="allow",
        reason="no rule matched",
        rule_ids=[r.id for r, _ in live],
        shadow_rule_ids=shadow,
        hits=hits,
        reviews=_reviews(policy, [r for r, _ in live]),
    )
    acts = [(r, e) for r, e in live if r.outcome.act is not None]
    if acts:
        return _act(policy, facts, base, acts)
    base.reviews = _restrict(base.reviews, None)
    if base.reviews:
        first = base.reviews[0]
        base.outcome = "review"
        base.deciding_rule = first.rule_id
        base.reason = f"review in {first.queue} (priority {first.priority}) by rule {first.rule_id}"
        return base
    allows = [r for r, _ in live if r.outcome.allow is not None]
    if allows:
        rule = allows[0]
        assert rule.outcome.allow is not None
        base.deciding_rule = rule.id
        base.reason = f"allowed by rule {rule.id}" + (
            f": {rule.outcome.allow.reason}" if rule.outcome.allow.reason else ""
        )
    return base


def _act(
    policy: Policy, facts: Facts, base: Verdict, acts: list[tuple[Rule, list[str]]]
) -> Verdict:
    rule, explanations = acts[0]
    act = rule.outcome.act
    assert act is not None
    base.outcome = "act"
    base.deciding_rule = rule.id
    base.decision = _decision(policy, rule, facts, explanations)
    base.preserve = any(r.outcome.act.preserve for r, _ in acts if r.outcome.act)
    notify: list[str] = []
    for r, _ in acts:
        for who in r.outcome.act.notify_authorities if r.outcome.act else []:
            if who not in notify:
                notify.append(who)
    base.notify_authorities = notify
    if act.open_case is not None:
        role = policy.queues[act.open_case.queue].restricted_to_role
        base.open_case = CaseRequest(
            queue=act.open_case.queue,
            closable_by=act.open_case.closable_by,
            restricted_to_role=role.value if role else None,
            rule_id=rule.id,
        )
    if act.strike is not None:
        base.strike = StrikeRequest(
            weight=act.strike.weight, expires_days=act.strike.expires_days, rule_id=rule.id
        )
    base.reviews = _restrict(base.reviews, base.open_case)
    base.reason = f"act by rule {rule.id}"
    if base.reviews:
        base.reason += "; review in " + ", ".join(r.queue for r in base.reviews)
    return base
