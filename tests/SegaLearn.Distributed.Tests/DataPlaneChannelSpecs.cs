using System.Net;
using System.Runtime.InteropServices;
using SegaLearn.Coordinator;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Distributed.Tests;

/// <summary>
/// The data-plane channel as the coordinator actor sees it: a gradient read from the socket arrives owned, in a buffer of
/// the job's pool; one a worker on this machine left in its shared memory arrives lent, read where the worker wrote it
/// until it is copied out or released.
/// </summary>
public sealed class DataPlaneChannelSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const int Length = 1000;
    private const string JobId = "job-channel";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public async Task Channel_should_deliver_a_socket_gradient_owned_and_a_shared_one_lent_in_place()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "shared memory is a file in /dev/shm; elsewhere gradients travel inline");
        var pool = new GradientBufferPool(Length);
        var coordinator = CreateTestProbe();
        var token = JobToken.Create();
        await using var channel = new DataPlaneChannel(JobId, token, pool, coordinator.Ref, Sys.Log, tls: null);
        channel.Start(IPAddress.Loopback, 0);
        await using var client = await DataPlaneClient.ConnectAsync(
            "127.0.0.1", channel.Server.Port, JobId, token, 4, Length, (_, _) => { }, (_, _) => { }, _ => { }, new CancellationTokenSource(Timeout).Token, sharedSlots: 2);
        var header = new FrameHeader { ParameterVersion = 3, Epoch = 1, Step = 2, FirstMicrobatch = 1, MicrobatchCount = 1, SampleCount = 64, LossSum = 0.5, ComputeMicroseconds = 1500 };

        var viaSocket = Values(seed: 1);
        await client.SendGradientAsync(header, viaSocket);
        var owned = coordinator.ExpectMsg<DataPlaneEvent.GradientArrived>(Timeout).Gradient;
        Assert.False(owned.IsLent);
        Assert.Equal(viaSocket, owned.Values.ToArray());
        Assert.Equal((3L, 2, 1, 64, 0.5), (owned.Header.ParameterVersion, owned.Header.Step, owned.Header.FirstMicrobatch, owned.Header.SampleCount, owned.Header.LossSum));
        Assert.Equal(1.5, owned.ComputeMilliseconds);
        Assert.True(MemoryMarshal.TryGetArray(owned.Values, out var buffer));
        owned.Release();
        Assert.Same(buffer.Array, pool.Rent());

        var inShared = Values(seed: 2);
        inShared.CopyTo(client.GradientSlot(1));
        await client.SendSharedGradientAsync(header, slot: 1);
        var lent = coordinator.ExpectMsg<DataPlaneEvent.GradientArrived>(Timeout).Gradient;
        Assert.True(lent.IsLent);
        Assert.Equal(4, lent.Lender);
        Assert.False(MemoryMarshal.TryGetArray(lent.Values, out _));
        Assert.Equal(inShared, lent.Values.ToArray());

        var copy = lent.CopyOut(pool);
        client.GradientSlot(1).Fill(float.NaN);
        Assert.False(copy.IsLent);
        Assert.Equal(inShared, copy.Values.ToArray());
        copy.Release();
    }

    private static float[] Values(ulong seed)
    {
        var random = new DeterministicRandom(5, seed);
        return Enumerable.Range(0, Length).Select(_ => (float)random.NextGaussian()).ToArray();
    }
}
