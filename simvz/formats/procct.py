"""A container's own /proc files, as the RHEL6 OpenVZ kernel (2.6.32-042stab113.5,
GitHub mirror ``seyko2/openvz_rhel6_kernel_mirror``) virtualises them for a process
inside the CT. Renders only; the numbers come from :mod:`simvz.model.usage`.
"""

from __future__ import annotations

from collections.abc import Mapping

from simvz.model.ubc import Pair
from simvz.model.usage import Usage, load_digits
from simvz.syntax.values import LONG_MAX

PAGE_KB = 4


def loadavg(u: Usage) -> str:
    """``fs/proc/loadavg.c:loadavg_proc_show`` in a CT: the VE's avenrun
    (``get_avenrun_ve``), its running count (``nr_running_ve``, the reader itself) and
    process count (``ve->pcounter``), the last pid of its pid namespace."""
    la = " ".join(f"{i}.{frac:02d}" for i, frac in load_digits(u))
    return f"{la} {u.running}/{len(u.procs)} {u.last_pid}\n"


def uptime(u: Usage) -> str:
    """``fs/proc/uptime.c:uptime_proc_show`` in a CT: seconds since the VE started
    (``real_start_timespec``) and the idle time of its CPU cgroup, ``%lu.%02lu``."""
    idle_cs = u.idle_ns // 10**7
    return f"{u.uptime}.00 {idle_cs // 100}.{idle_cs % 100:02d}\n"


def meminfo(u: Usage, limits: Mapping[str, Pair], node_ram: int, node_swap: int) -> str:
    """``fs/proc/meminfo.c:meminfo_proc_show_mi`` with the numbers of
    ``kernel/bc/vm_pages.c:bc_fill_meminfo``/``bc_fill_sysinfo``: MemTotal is the
    physpages limit (the node's RAM when unlimited), MemFree what physpages does not
    hold; SwapTotal the swappages limit (the node's swap when unlimited); Slab from
    kmemsize, SReclaimable from dcachesize (``DIV_ROUND_UP`` to pages)."""
    total = limits.get("physpages", (LONG_MAX, LONG_MAX))[1]
    total = node_ram if total >= LONG_MAX else total
    free = max(0, total - u.held.get("physpages", 0))
    swap_total = limits.get("swappages", (LONG_MAX, LONG_MAX))[1]
    swap_total = node_swap if swap_total >= LONG_MAX else swap_total
    swap_free = max(0, swap_total - u.held.get("swappages", 0))
    dcache, kmem = u.held.get("dcachesize", 0), u.held.get("kmemsize", 0)
    slab_r = -(-dcache // 4096)
    slab_u = -(-max(0, kmem - dcache) // 4096)
    shm = u.held.get("shmpages", 0)
    active_anon = u.anon * 4 // 5
    active_file = u.cache // 2
    cached = min(max(0, total - free - slab_r - slab_u), u.cache + shm)
    rows = (
        ("MemTotal", total), ("MemFree", free), ("Cached", cached), ("Buffers", 0),
        ("Active", active_anon + active_file),
        ("Inactive", u.anon - active_anon + u.cache - active_file),
        ("Active(anon)", active_anon), ("Inactive(anon)", u.anon - active_anon),
        ("Active(file)", active_file), ("Inactive(file)", u.cache - active_file),
        ("Unevictable", 0), ("Mlocked", u.held.get("lockedpages", 0)),
        ("SwapTotal", swap_total), ("SwapFree", swap_free), ("Dirty", 0), ("Writeback", 0),
        ("AnonPages", u.anon), ("Shmem", shm), ("Slab", slab_r + slab_u),
        ("SReclaimable", slab_r), ("SUnreclaim", slab_u),
    )  # fmt: skip
    return "".join(f"{name + ':':<16}{pages * PAGE_KB:>8} kB\n" for name, pages in rows)


# The node's processors (arch/x86/kernel/cpu/proc.c:show_cpuinfo fields).
_CPU_MODEL = "Intel(R) Xeon(R) CPU E5-2620 0 @ 2.00GHz"
_CPU_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts "
    "acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc "
    "arch_perfmon pebs bts rep_good xtopology nonstop_tsc aperfmperf pni pclmulqdq dtes64 "
    "monitor ds_cpl vmx smx est tm2 ssse3 cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic "
    "popcnt tsc_deadline_timer aes xsave avx lahf_lm ida arat epb xsaveopt pln pts dts "
    "tpr_shadow vnmi flexpriority ept vpid"
)


def cpuinfo(cpus: int, node_cpus: int) -> str:
    """``arch/x86/kernel/cpu/proc.c:show_cpuinfo``: a CT sees ``num_online_vcpus()``
    processors (its ``--cpus``, at most the node's; ``__c_start``), each with the
    node's topology (``show_cpuinfo_core``) and the 64-bit ``show_cpuinfo_misc``."""
    out = []
    for n in range(max(1, min(cpus, node_cpus))):
        out.append(
            f"processor\t: {n}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 45\n"
            f"model name\t: {_CPU_MODEL}\nstepping\t: 7\ncpu MHz\t\t: 2000.000\n"
            f"cache size\t: 15360 KB\nphysical id\t: 0\nsiblings\t: {node_cpus}\n"
            f"core id\t\t: {n}\ncpu cores\t: {node_cpus}\napicid\t\t: {n}\n"
            f"initial apicid\t: {n}\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\n"
            f"wp\t\t: yes\nflags\t\t: {_CPU_FLAGS}\nbogomips\t: 3999.93\nclflush size\t: 64\n"
            "cache_alignment\t: 64\naddress sizes\t: 46 bits physical, 48 bits virtual\n"
            "power management:\n\n"
        )
    return "".join(out)
