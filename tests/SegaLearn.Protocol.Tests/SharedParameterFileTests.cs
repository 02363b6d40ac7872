using System.Runtime.InteropServices;

namespace SegaLearn.Protocol.Tests;

public sealed class SharedParameterFileTests
{
    private const int ParameterCount = 1000;
    private const string NeedsLinux = "the job's parameter file lives in /dev/shm and is opened through /proc/PID/fd, which only Linux has";
    private static readonly Guid Job = FrameCodec.JobIdOf("job-1");

    [SkippableFact]
    public void Worker_should_read_each_published_version_when_it_maps_the_file_by_its_path()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), NeedsLinux);
        using var coordinator = SharedParameterFile.TryCreate(Job, ParameterCount);
        Assert.NotNull(coordinator);
        using var worker = SharedParameterFile.TryOpen(coordinator.Path, Job, ParameterCount);
        Assert.NotNull(worker);

        var first = Values(1);
        Assert.True(coordinator.TryPublish(1, first));
        Assert.Equal(Bits(first), Bits(worker.Parameters.ToArray()));
        var second = Values(2);
        Assert.True(coordinator.TryPublish(2, second));
        Assert.Equal(Bits(second), Bits(worker.Parameters.ToArray()));
    }

    [SkippableFact]
    public void TryPublish_should_copy_once_when_the_file_holds_that_version_already()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), NeedsLinux);
        using var coordinator = SharedParameterFile.TryCreate(Job, ParameterCount)!;
        using var worker = SharedParameterFile.TryOpen(coordinator.Path, Job, ParameterCount)!;
        var published = Values(3);

        Assert.True(coordinator.TryPublish(7, published));
        Assert.True(coordinator.TryPublish(7, Values(4)));

        Assert.Equal(Bits(published), Bits(worker.Parameters.ToArray()));
    }

    [SkippableFact]
    public void TryWrite_should_publish_the_written_version_so_that_TryPublish_of_it_copies_nothing()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), NeedsLinux);
        using var coordinator = SharedParameterFile.TryCreate(Job, ParameterCount)!;
        using var worker = SharedParameterFile.TryOpen(coordinator.Path, Job, ParameterCount)!;
        var written = Values(5);

        Assert.True(coordinator.TryWrite(8, mirror => written.CopyTo(mirror)));
        Assert.True(coordinator.TryPublish(8, Values(6)));
        Assert.Equal(Bits(written), Bits(worker.Parameters.ToArray()));

        var next = Values(7);
        Assert.True(coordinator.TryPublish(9, next));
        Assert.Equal(Bits(next), Bits(worker.Parameters.ToArray()));
    }

    [SkippableFact]
    public void TryWrite_should_leave_no_version_when_the_write_throws_and_refuse_once_the_file_is_closed()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), NeedsLinux);
        var coordinator = SharedParameterFile.TryCreate(Job, ParameterCount)!;
        using (var worker = SharedParameterFile.TryOpen(coordinator.Path, Job, ParameterCount)!)
        {
            Assert.Throws<InvalidOperationException>(() => coordinator.TryWrite(3, mirror =>
            {
                mirror[0] = 42f;
                throw new InvalidOperationException("optimizer failed halfway");
            }));
            var published = Values(8);
            Assert.True(coordinator.TryPublish(3, published));
            Assert.Equal(Bits(published), Bits(worker.Parameters.ToArray()));
        }

        coordinator.Dispose();
        var ran = false;
        Assert.False(coordinator.TryWrite(4, _ => ran = true));
        Assert.False(ran);
    }

    [SkippableFact]
    public void TryCreate_should_leave_no_file_behind_when_the_coordinator_has_it_open()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), NeedsLinux);
        using var coordinator = SharedParameterFile.TryCreate(Job, ParameterCount)!;

        Assert.Empty(Directory.GetFiles("/dev/shm", $"segalearn-{Job:N}-*"));
        Assert.StartsWith($"/proc/{Environment.ProcessId}/fd/", coordinator.Path, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void TryOpen_should_refuse_the_file_when_it_is_another_jobs_or_another_size()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), NeedsLinux);
        using var coordinator = SharedParameterFile.TryCreate(Job, ParameterCount)!;

        Assert.Null(SharedParameterFile.TryOpen(coordinator.Path, FrameCodec.JobIdOf("job-2"), ParameterCount));
        Assert.Null(SharedParameterFile.TryOpen(coordinator.Path, Job, ParameterCount + 1));
        Assert.Null(SharedParameterFile.TryOpen("/proc/self/fd/987654", Job, ParameterCount));
        Assert.Null(SharedParameterFile.TryOpen("", Job, ParameterCount));
    }

    [SkippableFact]
    public void TryPublish_should_refuse_when_the_file_is_closed_or_the_length_is_wrong()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), NeedsLinux);
        var coordinator = SharedParameterFile.TryCreate(Job, ParameterCount)!;

        Assert.Throws<ArgumentException>(() => coordinator.TryPublish(1, new float[ParameterCount - 1]));
        coordinator.Dispose();
        Assert.False(coordinator.TryPublish(1, Values(5)));
    }

    private static float[] Values(int seed)
    {
        var values = new float[ParameterCount];
        new Random(seed).NextBytes(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static int[] Bits(float[] values) => MemoryMarshal.Cast<float, int>(values.AsSpan()).ToArray();
}
