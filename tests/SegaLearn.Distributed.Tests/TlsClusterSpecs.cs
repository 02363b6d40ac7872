using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using SegaLearn.Hosting;
using SegaLearn.Protocol;
using SegaLearn.Worker;

namespace SegaLearn.Distributed.Tests;

/// <summary>
/// A coordinator node and a worker node on 127.0.0.1 with the cluster certificate on every connection (remoting, data
/// plane, peer links): strangers at the remoting port get nothing, and training still ends with the single-process bits.
/// </summary>
public sealed class TlsClusterSpecs : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly string _directory = Directory.CreateTempSubdirectory("segalearn-tls-spec-").FullName;
    private readonly ClusterCertificate _cluster;
    private readonly ClusterCertificate _stranger;

    public TlsClusterSpecs()
    {
        ClusterCertificate.Create(Path.Combine(_directory, "cluster.pfx"), password: null, days: 1);
        ClusterCertificate.Create(Path.Combine(_directory, "stranger.pfx"), password: null, days: 1);
        _cluster = ClusterCertificate.Load(Path.Combine(_directory, "cluster.pfx"), password: null);
        _stranger = ClusterCertificate.Load(Path.Combine(_directory, "stranger.pfx"), password: null);
    }

    public void Dispose()
    {
        _cluster.Dispose();
        _stranger.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Cluster_with_tls_should_give_strangers_nothing_at_the_remoting_port_and_train_to_the_single_process_bits()
    {
        var (train, blob, reference) = DigitsTraining.Prepare();
        var expected = DigitsTraining.Train(train, engine: null);
        var node = new ClusterNodeSettings { PublicHost = "127.0.0.1", BindHost = "127.0.0.1" };
        var strangers = new List<(string Who, byte[] Received, Exception? Error)>();

        using var engine = ActorTrainingEngines.Cluster(node, minWorkers: 2, reference, blob, onStarted: address =>
        {
            var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            strangers.Add(PlainClient(port));
            strangers.Add(TlsClient(port, _stranger));
            return StartWorkers(address, workers: 2);
        }, tls: _cluster);
        var actual = DigitsTraining.Train(train, engine);

        Assert.Equal(expected, actual);
        Assert.Equal(2, strangers.Count);
        // Closed on them, not left waiting: a server that took the stranger would sit waiting for its association until the read timed out.
        Assert.All(strangers, stranger => Assert.True(
            stranger.Received.Length == 0 && !TimedOut(stranger.Error),
            $"{stranger.Who} received {stranger.Received.Length} bytes ({stranger.Error})"));
    }

    /// <summary>Connects in clear, sends what an Akka association would start with, and reads until the server closes.</summary>
    private static (string, byte[], Exception?) PlainClient(int port)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)Timeout.TotalMilliseconds };
        socket.Connect("127.0.0.1", port);
        using var stream = new NetworkStream(socket);
        return ReadAll("a plain TCP client", stream, () => stream.Write("\0\0\0\u0030akka.tcp://segalearn@127.0.0.1:1"u8));
    }

    /// <summary>Completes TLS with another certificate (accepting any server) and reads until the server closes.</summary>
    private static (string, byte[], Exception?) TlsClient(int port, ClusterCertificate certificate)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)Timeout.TotalMilliseconds };
        socket.Connect("127.0.0.1", port);
        using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        return ReadAll("a TLS client with another certificate", tls, () =>
            tls.AuthenticateAsClient(ClusterCertificate.SubjectName, new X509CertificateCollection { certificate.Certificate }, SslProtocols.None, checkCertificateRevocation: false));
    }

    private static bool TimedOut(Exception? error) =>
        error is SocketException { SocketErrorCode: SocketError.TimedOut } or IOException { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut } };

    private static (string, byte[], Exception?) ReadAll(string who, Stream stream, Action start)
    {
        var received = new MemoryStream();
        try
        {
            start();
            stream.CopyTo(received);
            return (who, received.ToArray(), null);
        }
        catch (Exception e) when (e is IOException or AuthenticationException or SocketException)
        {
            return (who, received.ToArray(), e);
        }
    }

    private IDisposable StartWorkers(string coordinatorAddress, int workers)
    {
        var builder = SegaLearnHost.CreateBuilder();
        var seed = SegaLearnHost.NodeAddress(coordinatorAddress, tls: true);
        var node = new ClusterNodeSettings { PublicHost = "127.0.0.1", BindHost = "127.0.0.1", SeedNodes = [seed] };
        var settings = new WorkerSettings { Name = "tls", Threads = 1, SharedMemory = false };
        builder.Services.AddAkka(SegaLearnHost.SystemName, akka => akka
            .WithSegaLearnCluster(node, ProtocolInfo.WorkerRole, _cluster)
            .AddSegaLearnWorker(settings, workers, $"{seed}/user/{ProtocolInfo.CoordinatorName}", tls: _cluster));
        var host = builder.Build();
        host.Start();
        return host;
    }
}
