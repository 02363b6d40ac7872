using System.Security.Cryptography;
using System.Text;

namespace SegaLearn.Protocol;

/// <summary>The SHA-256 (hex) of a canonical text of the architecture and the protocol version; workers echo it to register.</summary>
public static class ArchitectureHash
{
    public static string Compute(NetworkArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var text = $"{architecture.LayersText}|{string.Join(',', architecture.Activations.Select(a => $"{a.Kind}:{a.Alpha:R}"))}|{architecture.LossText}|{ProtocolInfo.Version}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
