namespace SegaLearn.Hosting;

/// <summary>
/// How a node joins a SegaLearn cluster (configuration section <c>SegaLearn:Cluster</c>): the host name others reach
/// it at, the address it binds to, its remoting port (0: any free port) and the seed nodes it joins
/// (<c>akka.tcp://segalearn@host:port</c>; a coordinator with none joins itself).
/// </summary>
public sealed record ClusterNodeSettings
{
    public string PublicHost { get; init; } = "127.0.0.1";

    public string BindHost { get; init; } = "0.0.0.0";

    /// <summary>The address to bind for a node on <paramref name="host"/>'s network: loopback alone for a loopback host, else every interface.</summary>
    public static string BindHostFor(string host) => Protocol.ProtocolInfo.IsLoopback(host) ? "127.0.0.1" : "0.0.0.0";

    public int Port { get; init; }

    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>Interval of cluster heartbeats; with <see cref="AcceptableHeartbeatPause"/> it bounds how fast a dead node is seen.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan AcceptableHeartbeatPause { get; init; } = TimeSpan.FromMilliseconds(1200);
}
