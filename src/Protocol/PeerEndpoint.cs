using System.Net;

namespace SegaLearn.Protocol;

/// <summary>A worker taking part in peer reduction: its id and where its peer listener accepts connections.</summary>
public sealed record PeerEndpoint(int WorkerId, IPAddress Address, int Port)
{
    public IPEndPoint EndPoint => new(Address, Port);
}
