(ns build (:require [clojure.tools.build.api :as b]))
(defn uber [_] (b/uber {:class-dir "target/classes" :uber-file "target/app.jar" :main (quote app.core)}))
