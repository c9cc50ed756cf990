// kubectl-zk scheduled backup: a logical export of the ensemble over its client
// port, in the JSON-lines format `kubectl zk export` writes and `kubectl zk
// import` reads, into a directory (a PVC), keeping the newest N files.
// Runs in the ensemble's own ZooKeeper image with its client library, as
// classes compiled for Java 11 (manifests/backup/backup.jar, made by
// `npm run build:backup-jar`; the image needs no jdk.compiler module):
//   java -cp 'backup.jar:/apache-zookeeper-*/lib/*' Backup
// Environment: ZK_SERVER (host:port), ZK_USER / ZK_PASSWORD (the super user),
// ENSEMBLE, NAMESPACE, BACKUP_DIR, BACKUP_KEEP, BACKUP_ROOT (default /),
// BACKUP_WINDOW (znodes read at once, default 256).
// The file is written as NAME.jsonl.partial and renamed when complete; the
// checksum in its end line is the one src/ops/treefile.ts computes.

import java.io.BufferedWriter;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

public class Backup {
  static final BigInteger MOD = BigInteger.ONE.shiftLeft(256);
  static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  public static void main(String[] args) {
    try {
      run();
    } catch (Throwable e) {
      System.err.println("error: " + e);
      System.exit(1);
    }
  }

  static String env(String name, String def) {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) {
      if (def == null) throw new IllegalArgumentException("environment variable " + name + " is not set");
      return def;
    }
    return v;
  }

  static void run() throws Exception {
    String ensemble = env("ENSEMBLE", null);
    Path dir = Path.of(env("BACKUP_DIR", "/backup"));
    int keep = Integer.parseInt(env("BACKUP_KEEP", "7"));
    String root = env("BACKUP_ROOT", "/");
    int window = Integer.parseInt(env("BACKUP_WINDOW", "256"));
    if (keep < 1) throw new IllegalArgumentException("BACKUP_KEEP must be at least 1");
    Instant started = Instant.now();
    ZooKeeper zk = connect(env("ZK_SERVER", null));
    try {
      zk.addAuthInfo("digest", (env("ZK_USER", "super") + ":" + env("ZK_PASSWORD", null)).getBytes(StandardCharsets.UTF_8));
      Path file = dir.resolve(ensemble + "-" + STAMP.format(started) + ".jsonl");
      Path partial = dir.resolve(file.getFileName() + ".partial");
      Walk w;
      try (FileOutputStream fos = new FileOutputStream(partial.toFile());
          BufferedWriter out = new BufferedWriter(new OutputStreamWriter(fos, StandardCharsets.UTF_8), 1 << 16)) {
        out.write("{\"format\":\"kubectl-zk/tree\",\"version\":1,\"root\":" + q(root) + ",\"ensemble\":" + q(ensemble)
            + ",\"namespace\":" + q(env("NAMESPACE", "")) + ",\"time\":" + q(ISO.format(started)) + "}\n");
        w = new Walk(zk, root, window, out);
        w.start().get();
        out.write("{\"end\":true,\"znodes\":" + w.znodes + ",\"skipped\":" + w.ephemeral + ",\"checksum\":" + q(w.checksum()) + "}\n");
        out.flush();
        fos.getChannel().force(true);
      } catch (Exception e) {
        Files.deleteIfExists(partial);
        throw e;
      }
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      List<String> pruned = prune(dir, ensemble, keep);
      System.out.println("{\"file\":" + q(file.toString()) + ",\"znodes\":" + w.znodes + ",\"ephemeral\":" + w.ephemeral
          + ",\"vanished\":" + w.vanished + ",\"bytes\":" + Files.size(file) + ",\"checksum\":" + q(w.checksum())
          + ",\"durationMs\":" + (Instant.now().toEpochMilli() - started.toEpochMilli()) + ",\"pruned\":" + list(pruned) + "}");
    } finally {
      zk.close();
    }
  }

  static ZooKeeper connect(String server) throws Exception {
    CountDownLatch up = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(server, 30000, e -> {
      if (e.getState() == Watcher.Event.KeeperState.SyncConnected) up.countDown();
    });
    if (!up.await(60, TimeUnit.SECONDS)) {
      zk.close();
      throw new IllegalStateException("no ZooKeeper session with " + server + " within 60 s");
    }
    return zk;
  }

  /** Deletes all but the newest `keep` complete files of this ensemble, and partial files left by killed runs. */
  static List<String> prune(Path dir, String ensemble, int keep) throws Exception {
    List<Path> done = new ArrayList<>();
    List<String> pruned = new ArrayList<>();
    String prefix = ensemble + "-";
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (!n.startsWith(prefix)) continue;
        String stamp = n.substring(prefix.length());
        if (stamp.matches("\\d{8}T\\d{6}Z\\.jsonl")) done.add(p);
        else if (stamp.matches("\\d{8}T\\d{6}Z\\.jsonl\\.partial")) {
          Files.deleteIfExists(p);
          pruned.add(n);
        }
      }
    }
    Collections.sort(done);
    for (int i = 0; i < done.size() - keep; i++) {
      Files.deleteIfExists(done.get(i));
      pruned.add(done.get(i).getFileName().toString());
    }
    return pruned;
  }

  /** The tree walk: `window` znodes in flight (getData + getACL, then getChildren), a parent written before its children. */
  static final class Walk {
    final ZooKeeper zk;
    final String root;
    final int window;
    final BufferedWriter out;
    final ArrayDeque<String> stack = new ArrayDeque<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    BigInteger sum = BigInteger.ZERO;
    long znodes = 0, ephemeral = 0, vanished = 0;
    int active = 0;

    Walk(ZooKeeper zk, String root, int window, BufferedWriter out) {
      this.zk = zk;
      this.root = root;
      this.window = Math.max(1, window);
      this.out = out;
    }

    CompletableFuture<Void> start() {
      stack.push(root);
      pump();
      return done;
    }

    String checksum() {
      String h = sum.toString(16);
      return "0".repeat(64 - h.length()) + h;
    }

    synchronized void pump() {
      if (done.isDone()) return;
      while (active < window && !stack.isEmpty()) {
        active++;
        visit(stack.pop());
      }
      if (active == 0 && stack.isEmpty()) done.complete(null);
    }

    synchronized void fail(Throwable e) {
      done.completeExceptionally(e);
    }

    final class Node {
      final String path;
      byte[] data;
      Stat stat;
      List<ACL> acl;
      int answers = 0;
      boolean gone = false;

      Node(String path) {
        this.path = path;
      }
    }

    void visit(String path) {
      Node n = new Node(path);
      zk.getData(path, false, (rc, p, ctx, data, stat) -> answer(n, rc, () -> {
        n.data = data == null ? new byte[0] : data;
        n.stat = stat;
      }), null);
      zk.getACL(path, null, (rc, p, ctx, acl, stat) -> answer(n, rc, () -> n.acl = acl), null);
    }

    synchronized void answer(Node n, int rc, Runnable keep) {
      if (done.isDone()) return;
      KeeperException.Code code = KeeperException.Code.get(rc);
      if (code == KeeperException.Code.NONODE && !n.path.equals(root)) n.gone = true;
      else if (code != KeeperException.Code.OK) {
        fail(KeeperException.create(code, n.path));
        return;
      } else keep.run();
      if (++n.answers < 2) return;
      if (n.gone) {
        vanished++;
        finish();
        return;
      }
      try {
        emit(n);
      } catch (Exception e) {
        fail(e);
        return;
      }
      if (n.stat.getNumChildren() == 0) {
        finish();
        return;
      }
      zk.getChildren(n.path, false, (rc2, p, ctx, children) -> listed(n.path, rc2, children), null);
    }

    synchronized void listed(String path, int rc, List<String> children) {
      if (done.isDone()) return;
      KeeperException.Code code = KeeperException.Code.get(rc);
      if (code == KeeperException.Code.OK) {
        List<String> sorted = new ArrayList<>(children);
        Collections.sort(sorted);
        for (int i = sorted.size() - 1; i >= 0; i--) {
          String c = path.equals("/") ? "/" + sorted.get(i) : path + "/" + sorted.get(i);
          if (!c.equals("/zookeeper") && !c.startsWith("/zookeeper/")) stack.push(c);
        }
      } else if (code != KeeperException.Code.NONODE) {
        fail(KeeperException.create(code, path));
        return;
      }
      finish();
    }

    void finish() {
      active--;
      pump();
    }

    void emit(Node n) throws Exception {
      long owner = n.stat.getEphemeralOwner();
      String kind = kind(owner);
      StringBuilder acl = new StringBuilder("[");
      List<String> sums = new ArrayList<>();
      for (ACL a : n.acl) {
        if (acl.length() > 1) acl.append(',');
        acl.append("{\"scheme\":").append(q(a.getId().getScheme())).append(",\"id\":").append(q(a.getId().getId()))
            .append(",\"perms\":").append(q(letters(a.getPerms()))).append('}');
        sums.add(a.getId().getScheme() + ":" + a.getId().getId() + ":" + a.getPerms());
      }
      acl.append(']');
      String data = Base64.getEncoder().encodeToString(n.data);
      Stat s = n.stat;
      StringBuilder line = new StringBuilder(data.length() + 256);
      line.append("{\"path\":").append(q(n.path)).append(",\"data\":").append(q(data)).append(",\"acl\":").append(acl)
          .append(",\"stat\":{\"cZxid\":").append(q(hex(s.getCzxid()))).append(",\"mZxid\":").append(q(hex(s.getMzxid())))
          .append(",\"ctime\":").append(q(ISO.format(Instant.ofEpochMilli(s.getCtime()))))
          .append(",\"mtime\":").append(q(ISO.format(Instant.ofEpochMilli(s.getMtime()))))
          .append(",\"dataVersion\":").append(s.getVersion()).append(",\"aclVersion\":").append(s.getAversion());
      if (kind.equals("ephemeral")) line.append(",\"ephemeralOwner\":").append(q(hex(owner)));
      line.append('}');
      if (!kind.equals("persistent")) line.append(",\"kind\":").append(q(kind));
      line.append("}\n");
      out.write(line.toString());
      znodes++;
      if (kind.equals("ephemeral")) {
        ephemeral++;
        return;
      }
      Collections.sort(sums);
      String rel = relative(n.path);
      String digestOf = "[" + q(rel) + "," + q(data) + "," + list(sums) + "]";
      byte[] h = MessageDigest.getInstance("SHA-256").digest(digestOf.getBytes(StandardCharsets.UTF_8));
      sum = sum.add(new BigInteger(1, h)).mod(MOD);
    }

    String relative(String path) {
      if (root.equals("/")) return path;
      if (path.equals(root)) return "/";
      return path.substring(root.length());
    }
  }

  /** ZooKeeper's EphemeralType from the ephemeralOwner field. */
  static String kind(long owner) {
    if (owner == 0) return "persistent";
    if (owner == Long.MIN_VALUE) return "container";
    if ((owner & 0xff00000000000000L) == 0xff00000000000000L) return "ttl";
    return "ephemeral";
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }

  static String letters(int perms) {
    StringBuilder b = new StringBuilder();
    if ((perms & 4) != 0) b.append('c');
    if ((perms & 8) != 0) b.append('d');
    if ((perms & 1) != 0) b.append('r');
    if ((perms & 2) != 0) b.append('w');
    if ((perms & 16) != 0) b.append('a');
    return b.toString();
  }

  static String list(List<String> xs) {
    StringBuilder b = new StringBuilder("[");
    for (String x : xs) {
      if (b.length() > 1) b.append(',');
      b.append(q(x));
    }
    return b.append(']').toString();
  }

  /** A JSON string as JavaScript's JSON.stringify writes it. */
  static String q(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\b': b.append("\\b"); break;
        case '\f': b.append("\\f"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        default:
          if (c < 0x20 || (Character.isSurrogate(c) && !pairedAt(s, i))) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
      }
    }
    return b.append('"').toString();
  }

  static boolean pairedAt(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
