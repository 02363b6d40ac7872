namespace SegaLearn.Cli.Bench;

/// <summary>The workloads <c>segalearn bench</c> knows: adding one is one class and one line here.</summary>
internal static class BenchWorkloads
{
    public static IReadOnlyList<BenchWorkload> All { get; } =
    [
        new TinyWorkload(),
        new FashionMnistWorkload(),
        new SeedWorkload(),
        new WideWorkload(),
        new GemmWorkload(),
        new DistributedWorkload(),
    ];

    public static BenchWorkload Find(string name) =>
        All.FirstOrDefault(w => w.Name == name)
        ?? throw new BadInputException($"unknown workload '{name}' (expected {string.Join(", ", All.Select(w => w.Name))})");
}
