using System.Diagnostics;
using System.Globalization;

namespace SegaLearn.Cli.Bench;

/// <summary>Figures of this process that every result carries.</summary>
internal static class ProcessStats
{
    /// <summary>Peak resident set (VmHWM in /proc/self/status) in MB, the same quantity torch_bench.py reports as ru_maxrss.</summary>
    public static double PeakRssMegabytes()
    {
        const string Path = "/proc/self/status";
        if (File.Exists(Path))
        {
            foreach (var line in File.ReadLines(Path))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kilobytes = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return double.Parse(kilobytes, CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }

        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / (1024.0 * 1024.0);
    }

    /// <summary>Seconds since the process started.</summary>
    public static double SecondsSinceStart()
    {
        using var process = Process.GetCurrentProcess();
        return (DateTime.Now - process.StartTime).TotalSeconds;
    }

    /// <summary>The median of the epochs after the first (the first, which warms up, when there is only one), as the yardstick reports s/epoch.</summary>
    public static double SteadyEpochMedian(double[] epochSeconds) => Median(epochSeconds.Length > 1 ? epochSeconds[1..] : epochSeconds);

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
