"""Training in several processes with DistributedDataParallel: each rank trains on its share of
every batch, gradients are averaged, rank 0 alone evaluates and writes.

`mien train --nproc N` starts N processes on this machine; `torchrun` (one or several machines)
starts them itself and describes the group in the environment, which `join` reads. Gloo carries
the gradients between CPU processes, NCCL between GPUs (one GPU per process, by LOCAL_RANK).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.multiprocessing

from mien.errors import MienError


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")  # where this process trains

    @property
    def main(self) -> bool:
        """Whether this process evaluates, writes checkpoints and logs."""
        return self.rank == 0

    def shard(self) -> slice:
        """This rank's share of a global batch: every world-th sample from its rank on."""
        return slice(self.rank, None, self.world)


def join(requested_device: str = "auto") -> Ranks:
    """Join the process group the environment describes (set by torchrun or launch); without
    one, a single process. Each process trains on the device ``training_device`` picks."""
    device = training_device(requested_device)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Ranks(device=device)
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(process_group_backend(device))
    return Ranks(dist.get_rank(), dist.get_world_size(), device)


def training_device(requested: str = "auto") -> torch.device:
    """cpu, cuda, or auto (a GPU when PyTorch sees one for each process on this machine, else the
    CPU); with several processes on a machine, each takes the GPU of its LOCAL_RANK. NCCL refuses
    two processes on one GPU, so more processes than GPUs train on the CPU (auto) or are refused."""
    local_processes = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if requested == "auto":
        requested = "cuda" if 0 < local_processes <= gpus else "cpu"
    if requested == "cpu":
        return torch.device("cpu")
    if requested == "cuda":
        if not gpus:
            raise MienError("train.device=cuda, but PyTorch sees no GPU here (is this a CPU-only build?)")
        if gpus < local_processes:
            raise MienError(
                f"{local_processes} processes on this machine but {gpus} GPU(s): each process needs a GPU "
                f"of its own; use --nproc {gpus}, or train.device=cpu"
            )
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")) % gpus)
    raise MienError(f"unknown train.device {requested!r}; valid: auto, cpu, cuda")


def process_group_backend(device: torch.device) -> str:
    """NCCL between GPUs, gloo between CPU processes."""
    return "nccl" if device.type == "cuda" else "gloo"


def mean_over_ranks(value: float, ranks: Ranks) -> float:
    if ranks.world == 1:
        return value
    total = torch.tensor([value], dtype=torch.float64, device=ranks.device)  # NCCL reduces GPU tensors
    dist.all_reduce(total)
    return float(total) / ranks.world


def barrier(ranks: Ranks) -> None:
    if ranks.world > 1:
        dist.barrier()


def launch(nproc: int, function: Callable, *args) -> None:
    """Run function(*args) in nproc processes on this machine, each seeing what torchrun would set."""
    port = _free_port()
    torch.multiprocessing.spawn(_run_rank, args=(nproc, port, function, args), nprocs=nproc, join=True)


def _run_rank(rank: int, world: int, port: int, function: Callable, args: tuple) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),  # as torchrun sets
                      LOCAL_WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))  # fmt: skip
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))  # the cores are shared out
    try:
        function(*args)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
