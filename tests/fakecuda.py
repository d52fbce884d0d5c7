"""A fake CUDA device on the CPU, to catch device bugs in graded code on a machine without a GPU.

Students run the notebooks on Colab GPUs; the kit's CI has none.  Two bugs then pass every CPU test and break on
Colab: ``.numpy()`` on a tensor that lives on the GPU, and a tensor created on the CPU (noise, labels) fed to a
model on the GPU.  Inside ``fake_cuda()`` the CPU plays a CUDA device:

    with fake_cuda():
        model.to("cuda")                      # or .cuda(), .to(torch.device("cuda")), to_fake_cuda(model)
        next(model.parameters()).device       # device(type='cuda', index=0); Parameters stay Parameters
        z = torch.randn(4, 100, device="cuda")
        model(z).cpu().numpy()                # works
        model(z).numpy()                      # TypeError: can't convert cuda:0 device type tensor to numpy. ...
        model(torch.randn(4, 100))            # RuntimeError: Expected all tensors to be on the same device, ...

How: a tensor "on the GPU" is a CPU tensor of the subclass ``FakeCudaTensor`` (its data and autograd are the CPU's
own).  ``FakeCudaMode``, a ``torch.overrides.TorchFunctionMode``, sees every torch call made inside the context
(functions, Tensor methods and properties, ``nn.functional``) before it runs, and

* turns ``device="cuda"`` (a string, a ``torch.device``, an ordinal) into the CPU and marks what is created;
  ``.to(cuda)`` / ``.cuda()`` mark (a copy, as on a real GPU), ``.cpu()`` / ``.to("cpu")`` unmark;
* answers ``.device`` (``cuda:0``), ``.is_cuda``, ``.is_cpu`` and ``.get_device()`` for marked tensors;
* raises CUDA's own errors for ``.numpy()`` / ``np.asarray`` of a marked tensor, for a call that mixes marked
  tensors with unmarked ones of one or more dimensions (0-dim CPU tensors and Python numbers mix, as on CUDA), and
  for a CPU ``torch.Generator`` given to a call that draws on the GPU (``torch.randn(4, generator=g, device="cuda")``);
* otherwise runs the call; ``FakeCudaTensor`` keeps torch's default ``__torch_function__``, so results of calls on
  marked tensors are marked; gradients of marked tensors (``.grad``, ``torch.autograd.grad``) are marked.

``nn.Module.to`` / ``.cuda()`` replace each parameter that changes device by a marked ``nn.Parameter`` (torch's path
for parameters of tensor subclasses: ``isinstance(p, nn.Parameter)`` holds), because the context tells
``Module._apply`` that a marked tensor and an unmarked one are of incompatible types; a module moved to the device
it is on keeps its Parameter objects (an optimiser built before still updates them), as in real torch; buffers are
marked too.

What it does not model: see LIMITATIONS.
"""
from __future__ import annotations

import contextlib

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves, tree_map_only

CUDA = torch.device("cuda", 0)
CPU = torch.device("cpu")
NUMPY_ERROR = ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory "
               "first.")
MIXED_ERROR = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
INDEX_ERROR = "indices should be either on cpu or on the same device as the indexed tensor (cpu)"
GENERATOR_ERROR = "Expected a 'cuda' device type for generator but found 'cpu'"

LIMITATIONS = """\
* one fake GPU: every CUDA device (cuda, cuda:1, ...) is cuda:0, and an ordinal that does not exist is accepted;
* random numbers are the CPU generator's (real CUDA draws other numbers for the same seed), and
  torch.Generator(device="cuda"), torch.cuda.* (is_available, synchronize, memory, streams, amp autocast) are untouched;
* only calls that go through torch's __torch_function__ are checked: code that reads the data another way (ctypes,
  tensor.data_ptr() handed to a C library) or operations hidden inside a C++ kernel are not;
* a checked call is checked at its entry only: a Python-level torch function (F.interpolate, say) sees its own
  inner calls run on the CPU, unchecked, as one operation;
* cross-device cases real CUDA allows are allowed loosely: indexing a marked tensor with CPU indices, any
  __setitem__ value, copy_, new_tensor; others it allows are refused (type_as across devices moves on real CUDA);
* Module.to(cuda) / .cpu() replace the Parameter objects of a module that changes device (real torch keeps them and
  changes their .data), so an optimiser built before the move keeps the old ones; tensor.data = other does not
  change a tensor's mark;
* dtype support, numerics (TF32, nondeterministic kernels), memory, non_blocking and pinned memory are the CPU's;
* marked tensors met outside the context behave as CPU tensors (their results stay marked, unchecked), and a
  marked tensor pickled or saved is saved as its subclass.
"""


class FakeCudaTensor(torch.Tensor):
    """A CPU tensor that, inside ``fake_cuda()``, lives on the fake GPU (cuda:0)."""

    def __repr__(self, *, tensor_contents=None):
        with torch._C.DisableTorchFunctionSubclass():
            text = torch.Tensor.__repr__(self.as_subclass(torch.Tensor))
        return text[:-1] + ", device='cuda:0')" if text.endswith(")") else text


def is_marked(t) -> bool:
    """Whether ``t`` is a tensor on the fake GPU."""
    return isinstance(t, FakeCudaTensor)


def mark(t: torch.Tensor) -> torch.Tensor:
    """``t`` as a FakeCudaTensor sharing its data: a leaf stays a leaf (with its requires_grad), a tensor with
    autograd history stays in the graph (an alias of it)."""
    if is_marked(t) or not isinstance(t, torch.Tensor):
        return t
    with torch._C.DisableTorchFunctionSubclass():
        if t.grad_fn is None:
            return torch.Tensor._make_subclass(FakeCudaTensor, t, t.requires_grad)
        return t.as_subclass(FakeCudaTensor)


def unmark(t):
    """``t`` as a plain torch.Tensor sharing its data and graph (non-tensors as they are)."""
    if not is_marked(t):
        return t
    with torch._C.DisableTorchFunctionSubclass():
        return t.as_subclass(torch.Tensor)


def wants_cuda(device) -> bool | None:
    """Whether a device argument names a CUDA device (None: no device given)."""
    if device is None:
        return None
    if isinstance(device, int) and not isinstance(device, bool):
        return True  # torch reads a bare ordinal as a CUDA device
    return torch.device(device).type == "cuda"


def fake_device(t: torch.Tensor) -> torch.device:
    return CUDA if is_marked(t) else t.device


def check_same_device(args, kwargs) -> None:
    """Raise CUDA's error when marked tensors meet unmarked tensors of one or more dimensions."""
    tensors = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
    if any(map(is_marked, tensors)) and any(not is_marked(t) and t.dim() > 0 for t in tensors):
        raise RuntimeError(MIXED_ERROR)


def check_generator(args, kwargs) -> None:
    """Raise CUDA's error when a CPU ``torch.Generator`` draws numbers on the GPU: a factory call with a CUDA device,
    or a random call on a marked tensor (``t.normal_(generator=g)``, ``torch.multinomial(p, n, generator=g)``)."""
    gen = kwargs.get("generator")
    if not isinstance(gen, torch.Generator) or gen.device.type != "cpu":
        return
    device = kwargs.get("device")
    on_gpu = wants_cuda(device) if device is not None else any(map(is_marked, tree_leaves((args, kwargs))))
    if on_gpu:
        raise RuntimeError(GENERATOR_ERROR)


def _plain_call(func, args, kwargs):
    """Run ``func`` on the CPU without the subclass's wrapping of results."""
    with torch._C.DisableTorchFunctionSubclass():
        return func(*args, **kwargs)


def _factory(func, args, kwargs):
    """A call with device=...: created on the CPU, marked when the device is CUDA."""
    cuda = wants_cuda(kwargs["device"])
    out = _plain_call(func, args, dict(kwargs, device=CPU) if cuda else kwargs)
    return tree_map_only(torch.Tensor, mark if cuda else unmark, out)


def _move(self, to_cuda: bool, call):
    """The result of a .to()-like ``call(plain_self)`` on the (fake) device: a copy where the device changes."""
    was_cuda = is_marked(self)
    plain = unmark(self)
    out = _plain_call(call, (plain,), {})
    if out is plain:
        if to_cuda == was_cuda:
            return self  # nothing to do: torch returns the tensor itself
        out = _plain_call(torch.Tensor.clone, (plain,), {"memory_format": torch.preserve_format})
    return mark(out) if to_cuda else unmark(out)


def _tensor_to(func, args, kwargs):
    """Tensor.to in all its forms: (device, dtype, ...), (dtype, ...), (other tensor, ...), device=/dtype= keywords."""
    self, rest, kwargs = args[0], list(args[1:]), dict(kwargs)
    target = None
    if kwargs.get("device") is not None:
        target, kwargs["device"] = kwargs["device"], CPU
    elif rest and isinstance(rest[0], torch.Tensor):
        target, rest[0] = fake_device(rest[0]), rest[0].dtype  # to(other, ...) is to(other.device, other.dtype, ...)
    elif rest and isinstance(rest[0], (str, torch.device, int)) and not isinstance(rest[0], bool):
        target, rest[0] = rest[0], CPU
    to_cuda = is_marked(self) if target is None else wants_cuda(target)
    return _move(self, to_cuda, lambda plain: func(plain, *rest, **kwargs))


def _cuda(func, args, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if k in ("non_blocking", "memory_format")}
    return _move(args[0], True, lambda plain: plain.to(CPU, **kwargs))


def _cpu(func, args, kwargs):
    return _move(args[0], False, lambda plain: plain.to(CPU, **kwargs))


def _numpy(func, args, kwargs):
    if is_marked(args[0]) and not kwargs.get("force", False):
        raise TypeError(NUMPY_ERROR)
    return _plain_call(func, args, kwargs)


def _array(func, args, kwargs):
    if is_marked(args[0]):
        raise TypeError(NUMPY_ERROR)
    return _plain_call(func, args, kwargs)


def _index(func, args, kwargs):
    """Indexing: a marked tensor takes CPU or marked indices; a CPU tensor refuses marked ones."""
    if not is_marked(args[0]) and any(map(is_marked, tree_leaves(args[1]))):
        raise RuntimeError(INDEX_ERROR)
    return func(*args, **kwargs)


def _grad_attr(func, args, kwargs):
    """tensor.grad: a marked tensor's gradient is marked (stored back, so ``p.grad is p.grad``)."""
    self, grad = args[0], _plain_call(func, args, kwargs)
    if is_marked(self) and grad is not None and not is_marked(grad):
        grad = mark(grad)
        with torch._C.DisableTorchFunctionSubclass():
            self.grad = grad
    return grad


def _autograd_grad(func, args, kwargs):
    """torch.autograd.grad: each gradient on the device of its input."""
    inputs = args[1] if len(args) > 1 else kwargs["inputs"]
    inputs = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs)
    grads = _plain_call(func, args, kwargs)
    return tuple(mark(g) if is_marked(x) and g is not None else g for g, x in zip(grads, inputs))


def _unchecked(func, args, kwargs):
    return func(*args, **kwargs)


def _shallow_copy_type(func, args, kwargs):
    """torch._has_compatible_shallow_copy_type(param, moved), asked by Module._apply: a marked tensor and an unmarked
    one are incompatible, so a parameter that changes device is replaced by a new one of the moved tensor's type,
    and one that stays (moved is param) keeps its object, as torch keeps it."""
    a, b = args
    return is_marked(a) == is_marked(b) and _plain_call(func, (unmark(a), unmark(b)), kwargs)


def _deepcopy(func, args, kwargs):
    """copy.deepcopy of a marked tensor: a marked copy of its data, requires_grad, gradient and attributes (so a
    copied Parameter stays a Parameter)."""
    import copy

    self, memo = args[0], args[1] if len(args) > 1 else kwargs["memo"]
    if not is_marked(self):
        return func(*args, **kwargs)
    if self.grad_fn is not None:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol "
                           "at the moment.")
    if id(self) not in memo:
        with torch.no_grad():
            out = torch.Tensor._make_subclass(FakeCudaTensor, _plain_call(torch.Tensor.clone, (self,), {}),
                                              self.requires_grad)
        grad = _plain_call(torch.Tensor.grad.__get__, (self,), {})
        if grad is not None:
            out.grad = mark(copy.deepcopy(unmark(grad), memo))
        out.__dict__ = copy.deepcopy(self.__dict__, memo)
        memo[id(self)] = out
    return memo[id(self)]


def _new_tensor(func, args, kwargs):
    """self.new_tensor(data): on self's device, whatever the data's."""
    out = _plain_call(func, args, kwargs)
    return mark(out) if is_marked(args[0]) else out


def _attribute(value_on_gpu):
    def answer(func, args, kwargs):
        return value_on_gpu if is_marked(args[0]) else _plain_call(func, args, kwargs)
    return answer


HANDLERS = {
    torch.Tensor.to: _tensor_to,
    torch.Tensor.cuda: _cuda,
    torch.Tensor.cpu: _cpu,
    torch.Tensor.numpy: _numpy,
    torch.Tensor.__array__: _array,
    torch.Tensor.__getitem__: _index,
    torch.Tensor.__setitem__: _index,
    torch.Tensor.grad.__get__: _grad_attr,
    torch.autograd.grad: _autograd_grad,
    torch.autograd.backward: _unchecked,
    torch.Tensor.backward: _unchecked,
    torch.Tensor.copy_: _unchecked,          # copies across devices, as on CUDA
    torch.Tensor.__deepcopy__: _deepcopy,
    torch._has_compatible_shallow_copy_type: _shallow_copy_type,
    torch.Tensor.new_tensor: _new_tensor,
    torch.Tensor.device.__get__: _attribute(CUDA),
    torch.Tensor.is_cuda.__get__: _attribute(True),
    torch.Tensor.is_cpu.__get__: _attribute(False),
    torch.Tensor.get_device: _attribute(0),
}


class FakeCudaMode(TorchFunctionMode):
    """The TorchFunctionMode behind ``fake_cuda()`` (see the module's docstring)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        check_generator(args, kwargs)
        handler = HANDLERS.get(func)
        if handler is not None:
            return handler(func, args, kwargs)
        if kwargs.get("device") is not None:
            return _factory(func, args, kwargs)
        check_same_device(args, kwargs)
        return func(*args, **kwargs)


@contextlib.contextmanager
def fake_cuda():
    """Inside: the CPU plays the CUDA device cuda:0 (see the module's docstring); yields the device."""
    with FakeCudaMode():
        yield CUDA


def to_fake_cuda(module: torch.nn.Module) -> torch.nn.Module:
    """``module.to("cuda")`` on the fake device, also outside ``fake_cuda()``; returns the module."""
    with fake_cuda():
        return module.to(CUDA)
