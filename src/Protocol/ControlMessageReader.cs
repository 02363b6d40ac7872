using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text;

namespace SegaLearn.Protocol;

/// <summary>
/// Reads what <see cref="ControlMessageWriter"/> wrote, checking every length against what is left so a truncated or
/// garbage payload fails with a message naming the field instead of allocating or reading past the end.
/// </summary>
internal ref struct ControlMessageReader
{
    // Strict, so invalid UTF-8 is an error rather than silently replaced characters.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _manifest;
    private int _position;

    public ControlMessageReader(ReadOnlySpan<byte> data, string manifest)
    {
        _data = data;
        _manifest = manifest;
    }

    public byte Byte(string field) => Take(1, field)[0];

    public bool Bool(string field) => Byte(field) switch
    {
        0 => false,
        1 => true,
        var other => throw Invalid($"field {field} is {other}, not a boolean 0 or 1"),
    };

    public int Int32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

    public long Int64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

    public ulong UInt64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));

    public double Double(string field) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));

    public string String(string field) =>
        NullableString(field) ?? throw Invalid($"field {field} is null but the message requires it");

    public string? NullableString(string field)
    {
        var length = Length(field, elementSize: 1, allowNull: true);
        if (length < 0)
            return null;
        var bytes = Take(length, field);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid($"field {field} is not valid UTF-8");
        }
    }

    public int[] Int32Array(string field)
    {
        var count = Length(field, elementSize: 4, allowNull: false);
        var bytes = Take(count * 4, field);
        var values = new int[count];
        for (var i = 0; i < count; i++)
            values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(i * 4, 4));
        return values;
    }

    public byte[] Bytes(string field) => Take(Length(field, elementSize: 1, allowNull: false), field).ToArray();

    /// <summary>Rejects bytes after the last field: they mean the payload is not the message the manifest names.</summary>
    public readonly void End()
    {
        if (_position != _data.Length)
            throw Invalid($"{_data.Length - _position} unexpected bytes after the last field");
    }

    private int Length(string field, int elementSize, bool allowNull)
    {
        var length = Int32(field);
        if (length == -1 && allowNull)
            return -1;
        if (length < 0)
            throw Invalid($"field {field} has negative length {length}");
        if (length > (_data.Length - _position) / elementSize)
            throw Truncated(field, (long)length * elementSize);
        return length;
    }

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count > _data.Length - _position)
            throw Truncated(field, count);
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    private readonly SerializationException Truncated(string field, long needed) =>
        Invalid($"truncated payload: field {field} needs {needed} bytes at offset {_position}, {_data.Length - _position} left");

    private readonly SerializationException Invalid(string what) =>
        new($"ProtocolSerializer: cannot read '{_manifest}' message: {what}.");
}
