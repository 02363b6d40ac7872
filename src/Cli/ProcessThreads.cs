using System.Globalization;

namespace SegaLearn.Cli;

/// <summary>
/// Linux: applies a per-thread setting to every thread this process has now. A thread's scheduling attributes
/// (affinity, policy, nice value) are its own there, and a new thread inherits its creator's, so doing this before the
/// host starts its threads covers every later one too.
/// </summary>
internal static class ProcessThreads
{
    /// <summary>
    /// Runs <paramref name="apply"/> on each thread id; it returns null on success or why it failed, which is thrown
    /// unless the thread has ended meanwhile.
    /// </summary>
    public static void Apply(Func<int, string?> apply)
    {
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            var thread = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
            if (apply(thread) is { } failure && Directory.Exists(task))
            {
                throw new InvalidOperationException(failure);
            }
        }
    }
}
