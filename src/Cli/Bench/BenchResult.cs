using System.Text;
using System.Text.Json;

namespace SegaLearn.Cli.Bench;

/// <summary>
/// The figures of one run, in insertion order, written as the one line <c>RESULT {json}</c> that
/// bench/torch_bench.py prints, with the same field names where they apply, so a script can set them side by side.
/// </summary>
internal sealed class BenchResult
{
    private readonly List<KeyValuePair<string, object>> _fields = [];

    public BenchResult Add(string name, object value)
    {
        _fields.Add(new(name, value));
        return this;
    }

    public string ToLine()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            foreach (var (name, value) in _fields)
            {
                json.WritePropertyName(name);
                Write(json, value);
            }

            json.WriteEndObject();
        }

        return "RESULT " + Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Write(Utf8JsonWriter json, object value)
    {
        switch (value)
        {
            case double d:
                json.WriteNumberValue(d);
                break;
            case int i:
                json.WriteNumberValue(i);
                break;
            case long l:
                json.WriteNumberValue(l);
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case IEnumerable<double> list:
                json.WriteStartArray();
                foreach (var item in list)
                {
                    json.WriteNumberValue(item);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(value.ToString());
                break;
        }
    }
}
