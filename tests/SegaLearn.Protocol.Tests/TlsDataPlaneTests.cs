using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;

namespace SegaLearn.Protocol.Tests;

public sealed class TlsDataPlaneTests : IAsyncDisposable
{
    private const string JobId = "job-tls";
    private const int ParameterCount = 70_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly string _directory = Directory.CreateTempSubdirectory("segalearn-tls-").FullName;
    private readonly string _token = JobToken.Create();
    private readonly ClusterCertificate _cluster;
    private readonly ClusterCertificate _stranger;
    private readonly TaskCompletionSource<int> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _refused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<float[]> _gradient = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DataPlaneServer _server;

    public TlsDataPlaneTests()
    {
        _cluster = Make("cluster.pfx");
        _stranger = Make("stranger.pfx");
        _server = new DataPlaneServer(JobId, _token, ParameterCount, new DataPlaneServerCallbacks
        {
            RentGradientBuffer = () => new float[ParameterCount],
            ReturnGradientBuffer = _ => { },
            OnGradient = (_, _, gradient) => _gradient.TrySetResult(gradient.ToArray()),
            OnConnected = worker => _connected.TrySetResult(worker),
            OnRefused = (_, reason) => _refused.TrySetResult(reason),
        }, _cluster);
        _server.Start(IPAddress.Loopback, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _cluster.Dispose();
        _stranger.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Tls_data_plane_should_deliver_parameters_and_gradient_bit_exact_when_both_sides_hold_the_cluster_certificate()
    {
        var parameters = RandomBits(seed: 1);
        var gradient = RandomBits(seed: 2);
        var received = new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = await Connect(_cluster, workerId: 3, (_, p) => received.TrySetResult(p.ToArray()));
        Assert.Equal(3, await _connected.Task.WaitAsync(Timeout));

        await _server.SendParametersAsync(3, 1L, parameters);
        var atWorker = await received.Task.WaitAsync(Timeout);
        await client.SendGradientAsync(new FrameHeader { ParameterVersion = 1L, SampleCount = 64 }, gradient);
        var atServer = await _gradient.Task.WaitAsync(Timeout);

        Assert.Equal(BitsOf(parameters), BitsOf(atWorker));
        Assert.Equal(BitsOf(gradient), BitsOf(atServer));
    }

    [Fact]
    public async Task Tls_data_plane_should_refuse_a_worker_and_log_why_when_its_certificate_is_another_clusters()
    {
        var error = await Assert.ThrowsAsync<AuthenticationException>(() => Connect(_stranger, workerId: 1));

        Assert.StartsWith($"The data plane at 127.0.0.1:{_server.Port}: TLS", error.Message);
        Assert.Contains($"is not this cluster's {_cluster.Fingerprint[..16]}", await _refused.Task.WaitAsync(Timeout));
        Assert.Empty(_server.ConnectedWorkers);
        await using var member = await Connect(_cluster, workerId: 1);
        Assert.Equal(1, await _connected.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Tls_data_plane_should_refuse_a_worker_when_it_presents_no_certificate()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _server.Port);
        await using var tls = new SslStream(new NetworkStream(socket), leaveInnerStreamOpen: false, (_, _, _, _) => true);

        var handshake = Record.ExceptionAsync(async () =>
        {
            await tls.AuthenticateAsClientAsync(ClusterCertificate.SubjectName);
            // TLS 1.3 finishes the client's side before the server has judged the client; the refusal shows on first read.
            var reply = new byte[FrameCodec.HeaderSize];
            Assert.Equal(0, await tls.ReadAsync(reply));
        });

        var thrown = await handshake.WaitAsync(Timeout);
        Assert.True(thrown is null or IOException or AuthenticationException, $"unexpected {thrown}");
        Assert.Contains("presented no certificate", await _refused.Task.WaitAsync(Timeout));
        Assert.Empty(_server.ConnectedWorkers);
    }

    [Fact]
    public async Task Tls_data_plane_should_give_a_plain_tcp_client_nothing_when_it_sends_a_valid_hello_in_clear()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _server.Port);
        using var stream = new NetworkStream(socket);
        var jobId = FrameCodec.JobIdOf(JobId);
        var proof = new float[JobToken.ProofLength / sizeof(float)];
        JobToken.ComputeProof(_token, jobId, 9, MemoryMarshal.AsBytes(proof.AsSpan()));

        FrameCodec.Write(stream, new FrameHeader { Kind = FrameKind.Hello, JobId = jobId, WorkerId = 9 }, proof, new byte[FrameCodec.HeaderSize]);
        var received = new MemoryStream();
        var read = Record.ExceptionAsync(() => stream.CopyToAsync(received).WaitAsync(Timeout));

        Assert.True(await read is null or IOException);
        Assert.Equal(0, received.Length);
        Assert.StartsWith("TLS handshake failed", await _refused.Task.WaitAsync(Timeout));
        Assert.Empty(_server.ConnectedWorkers);
    }

    [Fact]
    public async Task Tls_client_should_refuse_a_server_when_it_presents_another_certificate()
    {
        await using var other = new DataPlaneServer(JobId, _token, ParameterCount, new DataPlaneServerCallbacks
        {
            RentGradientBuffer = () => new float[ParameterCount],
            ReturnGradientBuffer = _ => { },
            OnGradient = (_, _, _) => { },
        }, _stranger);
        other.Start(IPAddress.Loopback, 0);

        var error = await Assert.ThrowsAsync<AuthenticationException>(() =>
            DataPlaneClient.ConnectAsync("127.0.0.1", other.Port, JobId, _token, 2, ParameterCount, (_, _) => { }, (_, _) => { }, _ => { },
                new CancellationTokenSource(Timeout).Token, tls: _cluster));

        Assert.Contains($"TLS refused: its certificate {_stranger.Fingerprint[..16]}… is not this cluster's", error.Message);
        Assert.Empty(other.ConnectedWorkers);
    }

    private ClusterCertificate Make(string name)
    {
        var path = Path.Combine(_directory, name);
        ClusterCertificate.Create(path, password: null, days: 1);
        return ClusterCertificate.Load(path, password: null);
    }

    private Task<DataPlaneClient> Connect(ClusterCertificate tls, int workerId, Action<long, ReadOnlyMemory<float>>? onParameters = null) =>
        DataPlaneClient.ConnectAsync(
            "127.0.0.1", _server.Port, JobId, _token, workerId, ParameterCount, onParameters ?? ((_, _) => { }), (_, _) => { }, _ => { },
            new CancellationTokenSource(Timeout).Token, tls: tls);

    private static float[] RandomBits(int seed) => Tensors.RandomBits(ParameterCount, seed);

    private static int[] BitsOf(float[] values) => Tensors.BitsOf(values);
}
