namespace SegaLearn.Cli.Bench;

/// <summary>One workload of shared/BENCHMARKS.md; list new ones in <see cref="BenchWorkloads.All"/>.</summary>
internal abstract class BenchWorkload
{
    /// <summary>The name on the command line (and in the result's <c>workload</c> field).</summary>
    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>Runs the workload and adds its own figures; the command adds the common ones.</summary>
    public abstract void Run(BenchSettings settings, BenchResult result);
}
