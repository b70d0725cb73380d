package dev.apexpulse.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;

/**
 * The tests' hand-written WebSocket client, for what a well-behaved library refuses to send: invalid
 * UTF-8, oversize or fragmented frames, reserved bits, silence (no pongs), half-finished handshakes. For
 * volume, frames can be queued and written in one call (pipelining); replies are read through a buffer.
 * Well-behaved clients use {@link WsClient}, on Vert.x's own client.
 */
public final class RawWs implements AutoCloseable {
  public static final int CONTINUATION = 0;
  public static final int TEXT = 1;
  public static final int BINARY = 2;
  public static final int CLOSE = 8;
  public static final int PING = 9;
  public static final int PONG = 10;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final ByteArrayOutputStream queued = new ByteArrayOutputStream(1 << 16);
  private final SplittableRandom random = new SplittableRandom();
  public final int status;
  public final String head;

  public record Frame(int opcode, boolean fin, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }

    public String closeReason() {
      return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
    }
  }

  private RawWs(Socket socket, InputStream in, int status, String head) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(in);
    this.out = socket.getOutputStream();
    this.status = status;
    this.head = head;
  }

  public static RawWs connect(int port, String pathAndQuery, String origin) throws IOException {
    return connect(port, pathAndQuery, origin, 0);
  }

  /** With a small {@code receiveBufferBytes}, a client that does not read fills the server's queue quickly. */
  public static RawWs connect(int port, String pathAndQuery, String origin, int receiveBufferBytes) throws IOException {
    Socket s = new Socket();
    if (receiveBufferBytes > 0) {
      s.setReceiveBufferSize(receiveBufferBytes);
    }
    s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
    s.setSoTimeout(20_000);
    s.setTcpNoDelay(true);
    String key = Base64.getEncoder().encodeToString(new byte[16]);
    String req = "GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
        + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
    s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
    InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
    StringBuilder b = new StringBuilder();
    while (b.length() < 4 || !b.substring(b.length() - 4).equals("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        s.close();
        throw new IOException("connection closed during handshake");
      }
      b.append((char) c);
    }
    String head = b.toString();
    return new RawWs(s, in, Integer.parseInt(head.split(" ")[1]), head);
  }

  /** Queues a frame; {@link #flush()} sends everything queued in one write. */
  public RawWs queue(int opcode, boolean fin, byte[] payload) {
    return queueRaw((fin ? 0x80 : 0) | opcode, true, payload);
  }

  /** Queues a frame with a raw first byte (RSV bits, reserved opcodes) and optionally unmasked. */
  public RawWs queueRaw(int firstByte, boolean masked, byte[] payload) {
    queued.write(firstByte);
    int len = payload.length;
    int maskBit = masked ? 0x80 : 0;
    if (len < 126) {
      queued.write(maskBit | len);
    } else if (len < 65536) {
      queued.write(maskBit | 126);
      queued.write(len >> 8);
      queued.write(len);
    } else {
      queued.write(maskBit | 127);
      for (int i = 7; i >= 0; i--) {
        queued.write((int) ((long) len >> (8 * i)));
      }
    }
    if (!masked) {
      queued.write(payload, 0, len);
      return this;
    }
    int mask = random.nextInt();
    byte[] m = {(byte) (mask >> 24), (byte) (mask >> 16), (byte) (mask >> 8), (byte) mask};
    queued.write(m, 0, 4);
    byte[] masked2 = new byte[len];
    for (int i = 0; i < len; i++) {
      masked2[i] = (byte) (payload[i] ^ m[i & 3]);
    }
    queued.write(masked2, 0, len);
    return this;
  }

  public RawWs queueText(String text) {
    return queue(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  public void flush() throws IOException {
    if (queued.size() > 0) {
      queued.writeTo(out);
      out.flush();
      queued.reset();
    }
  }

  public void sendText(String text) throws IOException {
    queueText(text).flush();
  }

  /** Sends one frame now. */
  public void send(int opcode, boolean fin, byte[] payload) throws IOException {
    queue(opcode, fin, payload).flush();
  }

  /** Writes bytes as they are (a partial frame, garbage). */
  public void sendBytes(byte[] bytes) throws IOException {
    flush();
    out.write(bytes);
    out.flush();
  }

  /** The next frame, or null when the connection ended (EOF or reset). */
  public Frame read() throws IOException {
    int b0;
    try {
      b0 = in.read();
    } catch (SocketTimeoutException e) {
      throw e;
    } catch (IOException e) {
      return null; // reset by the server
    }
    if (b0 < 0) {
      return null;
    }
    try {
      int b1 = in.readUnsignedByte();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] payload = new byte[(int) len];
      in.readFully(payload);
      return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, payload);
    } catch (EOFException e) {
      return null;
    } catch (SocketTimeoutException e) {
      throw e;
    } catch (IOException e) {
      return null;
    }
  }

  /** The next text frame, skipping the server's heartbeat pings (a slow run outlasts the interval); fails when the connection ended or closed. */
  public String readText() throws IOException {
    Frame f;
    while ((f = read()) != null) {
      if (f.opcode() == TEXT) {
        return f.text();
      }
      if (f.opcode() == CLOSE) {
        throw new IOException("closed with " + f.closeCode() + " " + f.closeReason() + " while waiting for a text frame");
      }
    }
    throw new IOException("connection ended while waiting for a text frame");
  }

  /** Reads until a close frame (its code) or the end of the connection (1006). */
  public int awaitClose() throws IOException {
    Frame f;
    while ((f = read()) != null) {
      if (f.opcode() == CLOSE) {
        return f.closeCode();
      }
    }
    return 1006;
  }

  public void soTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // gone already
    }
  }
}
