"""Deterministic naming and ordering for tf2onnx output (shared by the converters).

tf2onnx numbers the names it generates with a process-global counter and, when it
merges identical constants, keeps whichever name a hash/identity-ordered container
yields first; both vary from run to run (and with PYTHONHASHSEED).  `canonicalise`
rewrites a graph so that its bytes depend only on its structure.
"""

from __future__ import annotations

import re

_COUNTER = re.compile(r"__\d+")


def canonicalise(g, structural_names: bool = False) -> None:
    """Make node order and every internal name a function of the graph structure only.

    tf2onnx numbers generated names with a global counter and, when it merges
    identical constants, keeps whichever name a hash/identity-ordered container
    yields first; both change from run to run.  Here nodes are re-ordered by a
    depth-first post-order walk from the graph outputs (inputs visited in slot
    order), generated counters are replaced by canonical ones, and initializers
    are named after their first consumer.  Graph input/output names are kept.

    structural_names=False keeps node and tensor names that carry no tf2onnx
    counter (they come from TF op names).  That is not enough for tf2onnx's TFLite
    front end, where which of two equivalent quantise/dequantise names survives a
    merge also varies between runs: structural_names=True names every node
    `<index>_<op_type>` (canonical order) and every tensor `<node name>:<k>`.
    """
    producer = {o: n for n in g.node for o in n.output}
    inits = {i.name: i for i in g.initializer}
    order, seen = [], set()
    for out in g.output:
        stack = [(producer[out.name], False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for name in reversed(node.input):
                if name in producer and id(producer[name]) not in seen:
                    stack.append((producer[name], False))
    if len(order) != len(g.node):
        raise ValueError(f"{len(g.node) - len(order)} nodes do not feed the output")

    # Names without a tf2onnx counter come from TF op names and are stable: keep
    # them.  Counter-bearing names get the counter stripped and, on collision, a
    # canonical "__k" suffix assigned in canonical node order.
    tensor_names = {i.name for i in g.input} | {o.name for o in g.output}
    if structural_names:
        node_names: set[str] = set()
    else:
        node_names = {n.name for n in order if not _COUNTER.search(n.name)}
        tensor_names |= {o for n in order for o in n.output if o and not _COUNTER.search(o)}
    rename: dict[str, str] = {t: t for t in tensor_names}

    def unique(base: str, used: set[str]) -> str:
        name, k = base, 0
        while name in used:
            k += 1
            name = f"{base}__{k}"
        used.add(name)
        return name

    for index, node in enumerate(order):
        if structural_names:
            node.name = unique(f"{index}_{node.op_type}", node_names)
        elif _COUNTER.search(node.name) or not node.name:
            node.name = unique(_COUNTER.sub("", node.name) or node.op_type, node_names)
        for slot, inp in enumerate(node.input):
            if inp and inp not in rename and inp in inits:
                rename[inp] = unique(f"{node.name}/const_{slot}", tensor_names)
        for k, out in enumerate(node.output):
            if out and out not in rename:
                base = f"{node.name}:{k}" if structural_names else _COUNTER.sub("", out)
                rename[out] = unique(base, tensor_names)
    for node in order:
        node.input[:] = [rename.get(i, i) if i else i for i in node.input]
        node.output[:] = [rename.get(o, o) if o else o for o in node.output]
    new_inits = []
    for old, new in rename.items():  # insertion order == first use in canonical order
        if old not in inits:
            continue
        init = inits[old]
        init.name = new
        new_inits.append(init)
    if len(new_inits) != len(inits):
        raise ValueError("unused initializers in graph")
    infos = [type(vi).FromString(vi.SerializeToString()) for vi in g.value_info]
    if structural_names:  # value_info of tensors no node produces would keep their old names
        infos = [vi for vi in infos if vi.name in rename]
    for vi in infos:
        vi.name = rename.get(vi.name, vi.name)
    infos.sort(key=lambda vi: vi.name)
    del g.value_info[:]
    g.value_info.extend(infos)
    # Copy before clearing: the lists reference elements of the repeated fields.
    nodes = [type(n).FromString(n.SerializeToString()) for n in order]
    inits_copy = [type(i).FromString(i.SerializeToString()) for i in new_inits]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(inits_copy)


def clear_default_fields(msg) -> None:
    """Clear every optional scalar field that is explicitly set to its default value.

    ONNX's protobuf schema is proto2, so `domain = ""` set explicitly is serialised
    while an unset one is not; tf2onnx sets such fields on some nodes and not on
    others, differently from run to run.  Fields inside a oneof (e.g. a dimension's
    dim_value) are left alone: there, presence carries meaning.
    """
    for field, value in msg.ListFields():
        # protobuf >= 6 has `is_repeated`; older versions only `label`.
        repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED
        if field.message_type is not None:
            if repeated:
                for item in value:
                    clear_default_fields(item)
            else:
                clear_default_fields(value)
        elif (
            not repeated
            and field.containing_oneof is None
            and value == field.default_value
        ):
            msg.ClearField(field.name)


def pin_fields(proto, *, graph_name: str, producer: str, producer_version: str, doc: str,
               meta: tuple[tuple[str, str], ...] = (), clear_defaults: bool = True) -> None:
    """Fix every free-text field so the bytes depend only on the graph, then check the model.

    Node doc strings (tf2onnx's stack traces) are emptied; clear_defaults=True then also
    clears fields explicitly set to their default (clear_default_fields). nsfwjs_to_onnx
    passes False: its published sha256 was made without that step.
    """
    import onnx

    for node in proto.graph.node:
        node.doc_string = ""
    proto.graph.name = graph_name
    proto.graph.doc_string = ""
    proto.producer_name = producer
    proto.producer_version = producer_version
    proto.doc_string = doc
    proto.model_version = 1
    del proto.metadata_props[:]
    for key, value in meta:
        proto.metadata_props.add(key=key, value=value)
    if clear_defaults:
        clear_default_fields(proto)
    onnx.checker.check_model(proto, full_check=True)
