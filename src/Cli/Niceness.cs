using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SegaLearn.Cli;

/// <summary>
/// Lowers this process's CPU priority to at least a nice value. A worker is bulk compute, while the coordinator does
/// the serial part of every step (reduce, update, hand-out), which each worker then waits for; wherever they share cores
/// (local worker processes, a coordinator host that also runs workers, hosts simulated on one machine) the coordinator
/// should get the core first. On a machine of its own a worker competes with nothing and its nice value changes nothing.
/// <para>
/// On Linux the nice value belongs to each thread and a new thread inherits its creator's, so every thread there is now
/// gets it (as <see cref="CpuAffinity"/> does with the affinity); a thread already nicer keeps its value. Elsewhere the
/// process's priority class goes to below normal.
/// </para>
/// </summary>
internal static partial class Niceness
{
    /// <summary>The largest (lowest-priority) nice value.</summary>
    public const int Max = 19;

    /// <summary>What <c>segalearn worker</c> runs at unless told otherwise.</summary>
    public const int WorkerDefault = 5;

    private const int PrioProcess = 0;

    /// <summary>Reads a nice value given as option <paramref name="option"/>: 0 (leave the priority alone) to <see cref="Max"/>.</summary>
    public static int Parse(int value, string option) =>
        value is >= 0 and <= Max ? value : throw new BadInputException($"{option} must be a nice value from 0 to {Max}, got {value}");

    /// <summary>Makes every thread of this process (and so every later one) run at nice <paramref name="nice"/> or nicer.</summary>
    public static void AtLeast(int nice)
    {
        if (nice == 0)
        {
            return;
        }

        if (!OperatingSystem.IsLinux())
        {
            using var self = Process.GetCurrentProcess();
            self.PriorityClass = ProcessPriorityClass.BelowNormal;
            return;
        }

        ProcessThreads.Apply(thread => Of(thread) is { } now && (now >= nice || SetPriority(PrioProcess, thread, nice) == 0)
            ? null
            : $"cannot lower the priority of thread {thread} to nice {nice}: error {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Linux: the nice value of thread <paramref name="thread"/>, or null when it cannot be read (the thread is gone).</summary>
    private static int? Of(int thread)
    {
        // getpriority returns -1 for nice -1 as well as for an error; only errno tells them apart.
        var nice = GetPriority(PrioProcess, thread);
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? null : nice;
    }

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
