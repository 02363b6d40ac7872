namespace SegaLearn.Protocol.Tests;

public sealed class SharedTensorFileTests
{
    private const int ParameterCount = 1000;

    [SkippableFact]
    public void Dispose_should_leave_a_pinned_slot_mapped_until_its_last_pin_goes()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the worker's file lives in /dev/shm and its mappings are counted in /proc/self/maps, which only Linux has");
        var path = SharedTensorFile.PathFor(Guid.NewGuid(), 3);
        Assert.NotNull(path);
        using var worker = SharedTensorFile.Create(path, ParameterCount, slots: 2);
        var coordinator = SharedTensorFile.TryOpen(path, ParameterCount, slots: 2);
        Assert.NotNull(coordinator);
        var written = Enumerable.Range(0, ParameterCount).Select(i => i * 0.5f).ToArray();
        written.CopyTo(worker.Slot(1));
        Assert.Equal(2, Mappings(path));

        var first = coordinator.PinSlot(1);
        var second = coordinator.PinSlot(1);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(coordinator.PinSlot(2));
        coordinator.Dispose();

        Assert.Null(coordinator.PinSlot(0));
        Assert.Equal(2, Mappings(path));
        first.Dispose();
        first.Dispose();
        Assert.Equal(written, second.Gradient.ToArray());
        Assert.Equal(2, Mappings(path));
        second.Dispose();
        Assert.Equal(1, Mappings(path));
    }

    /// <summary>How many mappings of <paramref name="path"/> (unlinked by the coordinator) this process holds.</summary>
    private static int Mappings(string path) => File.ReadLines("/proc/self/maps").Count(line => line.Contains(path, StringComparison.Ordinal));
}
