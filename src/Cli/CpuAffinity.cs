using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace SegaLearn.Cli;

/// <summary>
/// Pins this process to a set of CPUs. On Linux the affinity belongs to each thread and a new thread inherits its
/// creator's, so every thread there is now gets it (<see cref="Process.ProcessorAffinity"/> would set the main
/// thread's only); on Windows it is the process's.
/// <para>
/// On Linux the threads also become batch work (<c>SCHED_BATCH</c>, inherited the same way): a pinned local worker
/// shares its core with the coordinator, and a normal thread that wakes preempts the thread running there. The first
/// worker woken for a step then took the core of the coordinator's thread that was still sending the second worker its
/// step, and that thread, stranded, often waited out the whole compute (W-DIST at N=2, timed hand-offs: publish to
/// dispatched mean 181 µs, p90 765 µs; as batch work 32 µs and 41 µs). A batch thread waits for the running thread
/// to block or use up its slice, which the coordinator's does within microseconds.
/// </para>
/// </summary>
internal static partial class CpuAffinity
{
    /// <summary>CPUs a mask can name; beyond this the process is left unpinned.</summary>
    public const int MaxCpus = 64;

    /// <summary>Linux's <c>SCHED_BATCH</c> policy (sched.h); its only priority is 0.</summary>
    private const int SchedBatch = 3;

    /// <summary>The CPUs this process may run on now, or none where that cannot be read.</summary>
    public static IReadOnlyList<int> Usable()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsWindows()) || Environment.ProcessorCount > MaxCpus)
        {
            return [];
        }

        using var self = Process.GetCurrentProcess();
        var mask = (ulong)(long)self.ProcessorAffinity;
        return Enumerable.Range(0, MaxCpus).Where(cpu => (mask & (1UL << cpu)) != 0).ToArray();
    }

    /// <summary>"0,1" for the list; <see cref="Parse"/> reads it back.</summary>
    public static string Format(IEnumerable<int> cpus) => string.Join(',', cpus.Select(c => c.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Reads a CPU list such as "2" or "0,1"; each must be one this process may use.</summary>
    public static int[] Parse(string text, string option)
    {
        var usable = Usable();
        if (usable.Count == 0)
        {
            throw new BadInputException($"{option}: this system does not let a process choose its CPUs");
        }

        var cpus = new List<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var cpu) || !usable.Contains(cpu))
            {
                throw new BadInputException($"{option}: '{part.Trim()}' is not a CPU this process may use ({Format(usable)})");
            }

            cpus.Add(cpu);
        }

        return cpus.Distinct().ToArray();
    }

    /// <summary>Pins every thread of this process (and so every later one) to <paramref name="cpus"/>, as batch work on Linux.</summary>
    public static void Pin(IReadOnlyCollection<int> cpus)
    {
        var mask = cpus.Aggregate(0UL, (bits, cpu) => bits | (1UL << cpu));
        if (OperatingSystem.IsWindows())
        {
            using var self = Process.GetCurrentProcess();
            self.ProcessorAffinity = (nint)mask;
            return;
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("CPU pinning needs Linux or Windows.");
        }

        ProcessThreads.Apply(thread =>
        {
            if (SchedSetAffinity(thread, sizeof(ulong), ref mask) != 0)
            {
                return $"cannot pin thread {thread} to CPUs {Format(cpus)}: error {Marshal.GetLastPInvokeError()}";
            }

            var priority = 0;
            return SchedSetScheduler(thread, SchedBatch, ref priority) != 0
                ? $"cannot make thread {thread} batch work: error {Marshal.GetLastPInvokeError()}"
                : null;
        });
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SchedSetScheduler(int thread, int policy, ref int priority);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int thread, nint size, ref ulong mask);
}
