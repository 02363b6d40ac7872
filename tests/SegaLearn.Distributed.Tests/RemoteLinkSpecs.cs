using System.Collections.Concurrent;
using System.Net;
using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Protocol;
using SegaLearn.Worker;

namespace SegaLearn.Distributed.Tests;

/// <summary>
/// A worker on another machine (no shared memory) in the star: a block whose parameters are already there is computed
/// on the connection's read thread, one that comes before its parameters waits for them on the compute thread; both
/// give the single-process gradient.
/// </summary>
public sealed class RemoteLinkSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string JobId = "job-link";
    private const int WorkerId = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Link_should_compute_a_star_block_on_its_read_thread_when_its_parameters_came_first_and_on_the_compute_thread_when_they_follow()
    {
        var small = new SmallJob();
        var token = JobToken.Create();
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gradients = new BlockingCollection<(FrameHeader Header, float[] Gradient)>();
        await using var server = new DataPlaneServer(JobId, token, small.ParameterCount, new DataPlaneServerCallbacks
        {
            RentGradientBuffer = () => new float[small.ParameterCount],
            OnGradient = (_, header, gradient) => gradients.Add((header, gradient)),
            OnConnected = _ => connected.TrySetResult(),
        });
        server.Start(IPAddress.Loopback, 0);
        var architecture = small.Architecture;
        var offer = new JobOffer(
            JobId, token, ProtocolInfo.Version, architecture.LayersText, architecture.ActivationsText, architecture.LossText, small.Job.DropoutRate, small.Job.Seed,
            SmallJob.Microbatch, "reference", new DataReference("in-process", null, 0, 0, false, "", 0), server.Port);
        using var job = new WorkerJob(offer, architecture, small.Features, Targets.FromClasses(small.Labels), new ReferenceBackend());
        var worker = CreateTestProbe();
        using var link = await RemoteLink.ConnectAsync("127.0.0.1", server.Port, job, WorkerId, credits: 1, worker.Ref, sharedMemory: false);
        await connected.Task.WaitAsync(Timeout);
        Assert.True(link.JoinsPeers);

        var first = Block(version: 1, step: 0, firstMicrobatch: 0);
        await server.SendParametersAndAssignmentAsync(WorkerId, small.Parameters, first.Header, FrameCodec.RowsPayload(first.Work.Rows));
        AssertGradient(small, first.Work, small.Parameters, gradients);
        Assert.Equal(1, link.BlocksOnReadThread);

        var moved = small.Parameters.Select(p => p * 0.5f).ToArray();
        var second = Block(version: 2, step: 1, firstMicrobatch: 2);
        await server.SendAssignmentAsync(WorkerId, second.Header, FrameCodec.RowsPayload(second.Work.Rows));
        await server.SendParametersAsync(WorkerId, 2, moved);
        AssertGradient(small, second.Work, moved, gradients);
        Assert.Equal(1, link.BlocksOnReadThread);
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private static (AssignWork Work, FrameHeader Header) Block(long version, int step, int firstMicrobatch)
    {
        var rows = Enumerable.Range(firstMicrobatch * SmallJob.Microbatch, 2 * SmallJob.Microbatch).Select(r => (r * 7) % 40).ToArray();
        var work = new AssignWork(JobId, version, 0, step, firstMicrobatch, 2, firstMicrobatch * SmallJob.Microbatch, rows);
        var header = new FrameHeader
        {
            ParameterVersion = version,
            Epoch = 0,
            Step = step,
            FirstMicrobatch = firstMicrobatch,
            MicrobatchCount = 2,
            FirstSample = firstMicrobatch * SmallJob.Microbatch,
        };
        return (work, header);
    }

    private static void AssertGradient(SmallJob small, AssignWork work, float[] parameters, BlockingCollection<(FrameHeader Header, float[] Gradient)> gradients)
    {
        var expected = new float[small.ParameterCount];
        var loss = small.ComputeBlock(work, parameters, expected);
        Assert.True(gradients.TryTake(out var arrived, Timeout), $"no gradient for step {work.Step}");
        Assert.Equal((work.ParameterVersion, work.Step, work.FirstMicrobatch, work.Rows.Length, loss), (arrived.Header.ParameterVersion, arrived.Header.Step, arrived.Header.FirstMicrobatch, arrived.Header.SampleCount, arrived.Header.LossSum));
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), arrived.Gradient.Take(small.ParameterCount).Select(BitConverter.SingleToInt32Bits));
    }
}
